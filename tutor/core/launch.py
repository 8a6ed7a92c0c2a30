"""What starting and stopping a run's supervisor needs, whoever starts it.

A run's supervisor is forked by a runner server (tutor/core/warm.py): the session's warm
runner, or a fresh one for a cold run. It gets the job over the server's socket (never
through the scratch folder), its own session and process group, /dev/null as stdin, a
cleaned environment and a pipe for its result; `stop` ends it and everything it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from tutor.core.job import AnyJob
from tutor.core.processes import become_subreaper, kill_orphans, make_undumpable

# Variables a run may see; everything else (tokens, agent sockets, the tutor's own
# settings) stays out of the learner's process.
# ATEN_CPU_CAPABILITY picks torch's CPU kernels: `validate` proves claims under `default` too.
_ENV_KEPT = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "TMPDIR", "USER", "LOGNAME",
             "ATEN_CPU_CAPABILITY")
STOP_GRACE_S = 2.0  # time the supervisor gets to end the run's processes after SIGTERM


class RunnerUnavailable(Exception):
    """The warm runner could not take or finish this run; `reason` names why, for the learner's note."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "not_started", "stopped" or "no_answer"


class RunProcess(Protocol):
    """A started supervisor; its pid is also its session and process group id."""

    pid: int

    def returncode(self, timeout: float) -> int | None:
        """Wait up to `timeout` seconds; None while it still runs."""

    def close(self) -> None: ...


# (job, scratch folder, stdout write end, stderr write end, result write end) -> the started supervisor
Launcher = Callable[[AnyJob, Path, int, int, int], RunProcess]


class _OwnChildren:
    """Children this process started on purpose (warm servers, supervisors): never taken for orphans."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pids: set[int] = set()

    def start(self, start: Callable[[], subprocess.Popen[bytes]]) -> subprocess.Popen[bytes]:
        """Start one, under the lock, so that no sweep meets it before it is known."""
        with self._lock:
            started = start()
            self._pids.add(started.pid)
            return started

    def discard(self, pid: int) -> None:
        with self._lock:
            self._pids.discard(pid)

    def sweep(self) -> None:
        """Kill what a run left behind once its supervisor was gone (it came back here, the subreaper)."""
        with self._lock:
            spare = set(self._pids)
        kill_orphans(spare, other_sessions_only=True)


own_children = _OwnChildren()


def protect_this_process() -> None:
    """Before the first run: no run can read this process through /proc, and what a run
    leaves behind when its supervisor is killed comes back here to be killed."""
    make_undumpable()
    become_subreaper()


def sandbox_environment() -> dict[str, str]:
    env = {name: os.environ[name] for name in _ENV_KEPT if name in os.environ}
    env["OMP_NUM_THREADS"] = "1"  # also keeps the warm runner single-threaded, so it forks safely
    # A run's idle threads sleep instead of spinning: on a shared machine, two runs of 2
    # threads on 2 cores otherwise spend their time spinning, each about 18 times slower.
    env["OMP_WAIT_POLICY"] = "PASSIVE"
    return env


def sandbox_command(module: str, *arguments: str) -> list[str]:
    """An isolated interpreter (no user site, no PYTHONPATH, UTF-8) running `module`."""
    return [sys.executable, "-I", "-B", "-X", "utf8", "-m", module, *arguments]


def stop(process: RunProcess) -> None:
    """Ask the supervisor to end the run (it kills every process of it); kill its group if it cannot."""
    for how, kill in ((signal.SIGTERM, os.kill), (signal.SIGKILL, os.killpg)):
        try:
            kill(process.pid, how)
        except (ProcessLookupError, PermissionError):
            return  # already gone
        try:
            if process.returncode(STOP_GRACE_S) is not None:
                return
        except RunnerUnavailable:
            continue  # the warm runner went away too: make sure
