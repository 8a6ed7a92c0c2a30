"""Starting a run's supervisor, and stopping it.

The cold runner starts it as a fresh interpreter (`python -m tutor.sandbox`); the warm
runner (tutor/core/warm.py) forks it from a server that has imported torch already.
Either way it gets its own session and process group, closed stdin and a cleaned
environment, and `stop` ends it and everything it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

# Variables a run may see; everything else (tokens, agent sockets, the tutor's own
# settings) stays out of the learner's process.
_ENV_KEPT = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "TMPDIR", "USER", "LOGNAME")
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


# (scratch folder, stdout write end, stderr write end) -> the started supervisor
Launcher = Callable[[Path, int, int], RunProcess]

def sandbox_environment() -> dict[str, str]:
    env = {name: os.environ[name] for name in _ENV_KEPT if name in os.environ}
    env["OMP_NUM_THREADS"] = "1"  # also keeps the warm runner single-threaded, so it forks safely
    return env


def sandbox_command(module: str, *arguments: str) -> list[str]:
    """An isolated interpreter (no user site, no PYTHONPATH, UTF-8) running `module`."""
    return [sys.executable, "-I", "-B", "-X", "utf8", "-m", module, *arguments]


class ColdProcess:
    """The cold runner: a supervisor in a fresh interpreter, which imports torch itself."""

    def __init__(self, scratch: Path, stdout_fd: int, stderr_fd: int) -> None:
        self._popen = subprocess.Popen(
            sandbox_command("tutor.sandbox", str(scratch)),
            cwd=scratch,
            stdin=subprocess.DEVNULL,
            stdout=stdout_fd,
            stderr=stderr_fd,
            env=sandbox_environment(),
            start_new_session=True,  # its own process group, so one kill ends all it started
        )
        self.pid = self._popen.pid

    def returncode(self, timeout: float) -> int | None:
        try:
            return self._popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self) -> None:
        self._popen.wait()


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
