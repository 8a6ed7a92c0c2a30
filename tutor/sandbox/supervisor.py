"""A run's supervisor: it starts the worker that runs the learner's block, outlives it,
and leaves nothing behind.

The supervisor runs no learner code, so nothing the block does changes how the run ends.
It is a child subreaper: anything the block starts and detaches (a double fork, a
`setsid()`) is reparented to it instead of to init, and killed with the rest when the
worker ends, when the tutor asks (SIGTERM) or when the run's own deadline passes.
Its exit status mirrors the worker's, so the tutor reads one status whichever way the
supervisor was started (a fresh interpreter, or a fork of the warm runner).
"""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import NoReturn

from tutor.core.job import JOB_FILENAME, Job
from tutor.sandbox.child import run_in
from tutor.sandbox.limits import ProcessBound, limit_tasks_without_cgroup

_PR_SET_CHILD_SUBREAPER = 36
_STOP_SIGNALS = {signal.SIGTERM, signal.SIGALRM}
DEADLINE_GRACE_S = 5.0  # the tutor's own timer comes first; this one is for a tutor that vanished
INTERNAL_ERROR = 70  # EX_SOFTWARE: the sandbox itself failed


def supervise(scratch: Path) -> NoReturn:
    """Run the job in `scratch` in a worker process; exit as the worker did."""
    job = Job.model_validate_json((scratch / JOB_FILENAME).read_text(encoding="utf-8"))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    become_subreaper()
    bound = ProcessBound.create()
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)  # no stop request lands between fork and handlers
    worker = os.fork()
    if worker == 0:
        _work(scratch, bound)
    for stop_signal in _STOP_SIGNALS:
        signal.signal(stop_signal, lambda *_: _finish(worker, None, bound))
    if job.timeout_s:
        signal.setitimer(signal.ITIMER_REAL, job.timeout_s + DEADLINE_GRACE_S)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    # WNOWAIT: the worker stays a zombie, so its process group id cannot be reused before the kill
    ended = os.waitid(os.P_PID, worker, os.WEXITED | os.WNOWAIT)
    _finish(worker, ended, bound)


def become_subreaper() -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def _work(scratch: Path, bound: ProcessBound | None) -> NoReturn:
    code = INTERNAL_ERROR
    try:
        for stop_signal in _STOP_SIGNALS:
            signal.signal(stop_signal, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        os.setpgid(0, 0)  # its own group, killed whole; the supervisor stays outside it
        if bound is not None:
            bound.join()
        else:
            limit_tasks_without_cgroup()
        code = run_in(scratch)
    except BaseException:  # a fault of the sandbox itself: show it, end as a crash
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass  # the learner closed or broke it; nothing more to say
        os._exit(code)


def _finish(worker: int, ended: os.waitid_result | None, bound: ProcessBound | None) -> NoReturn:
    """End every process of the run, then exit as the worker did (None: stopped from outside)."""
    signal.setitimer(signal.ITIMER_REAL, 0)
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    if bound is not None:
        bound.freeze()
    try:
        os.killpg(worker, signal.SIGKILL)
    except OSError:
        pass  # the group is already empty
    kill_descendants(bound)
    if bound is not None:
        bound.remove()
    if ended is None:
        _exit_as(-signal.SIGKILL)
    _exit_as(ended.si_status if ended.si_code == os.CLD_EXITED else -ended.si_status)


def kill_descendants(bound: ProcessBound | None) -> None:
    """Kill and reap every child until none is left; as a subreaper, orphans come back as children.

    The run's cgroup, when there is one, names them without reading every process's
    /proc entry, which can stall while a fork bomb copies its address space.
    """
    me = os.getpid()
    while True:
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return  # no child at all, dead or alive
        for pid in (bound.members() if bound is not None else []) or children_of(me):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass  # already gone
        time.sleep(0.001)


def children_of(parent: int) -> list[int]:
    """Pids whose parent is `parent`, read from /proc (the `children` file is not always built in)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue  # it ended while we looked
        if int(fields[1]) == parent:
            found.append(int(entry.name))
    return found


def _exit_as(code: int) -> NoReturn:
    if code < 0:  # killed by a signal: die of the same one, so the status reads the same
        signal.signal(-code, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {-code})
        os.kill(os.getpid(), -code)
        code = 128 - code
    os._exit(code)
