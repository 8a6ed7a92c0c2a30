"""A run's supervisor: it starts the worker that runs the job (a check or an experiment,
as the job's `kind` says), outlives it, and leaves nothing behind.

The supervisor runs no learner code, so nothing the block does changes how the run ends.
It is a child subreaper: anything the block starts and detaches (a double fork, a
`setsid()`) is reparented to it instead of to init, and killed with the rest when the
worker ends, when the tutor asks (SIGTERM) or when the run's own deadline passes. The
worker dies with it, should the block kill it; what the worker started then goes to
whoever started the supervisor, which kills it (tutor/core/processes.py). Its exit
status mirrors the worker's, so the tutor reads one status whichever way the
supervisor was started (a fresh interpreter, or a fork of the warm runner).
"""

from __future__ import annotations

import os
import resource
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import NoReturn

from tutor.core.job import PREPARE_S, AnyJob, ExperimentJob
from tutor.core.processes import become_subreaper, children_of, die_with_parent, drop_privileges
from tutor.sandbox.child import run_in
from tutor.sandbox.experiment import train_in
from tutor.sandbox.limits import ProcessBound, limit_tasks_without_cgroup

_STOP_SIGNALS = {signal.SIGTERM, signal.SIGALRM}
DEADLINE_GRACE_S = 5.0  # the tutor's own timer comes first; this one is for a tutor that vanished
INTERNAL_ERROR = 70  # EX_SOFTWARE: the sandbox itself failed


def supervise(job: AnyJob, scratch: Path, result_fd: int) -> NoReturn:
    """Run `job` in a worker process, in `scratch`, its result to `result_fd`; exit as the worker did."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    become_subreaper()
    bound = ProcessBound.create()
    signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)  # no stop request lands between fork and handlers
    me = os.getpid()
    worker = os.fork()
    if worker == 0:
        _work(job, scratch, result_fd, me, bound)
    os.close(result_fd)  # the worker holds the only write end: the tutor sees the result end with it
    for stop_signal in _STOP_SIGNALS:
        signal.signal(stop_signal, lambda *_: _finish(worker, None, bound))
    if job.timeout_s:
        signal.setitimer(signal.ITIMER_REAL, PREPARE_S + job.timeout_s + DEADLINE_GRACE_S)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    # WNOWAIT: the worker stays a zombie, so its process group id cannot be reused before the kill
    ended = os.waitid(os.P_PID, worker, os.WEXITED | os.WNOWAIT)
    _finish(worker, ended, bound)


def _work(job: AnyJob, scratch: Path, result_fd: int, supervisor: int, bound: ProcessBound | None) -> NoReturn:
    code = INTERNAL_ERROR
    try:
        die_with_parent(supervisor)
        for stop_signal in _STOP_SIGNALS:
            signal.signal(stop_signal, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        os.setpgid(0, 0)  # its own group, killed whole; the supervisor stays outside it
        if bound is not None:
            bound.join()
        else:
            limit_tasks_without_cgroup()
        drop_privileges()  # last: joining the cgroup may need them
        if isinstance(job, ExperimentJob):
            os.close(result_fd)  # an experiment leaves its files in the scratch folder
            code = train_in(job, scratch)
        else:
            code = run_in(job, scratch, result_fd)
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


def _exit_as(code: int) -> NoReturn:
    if code < 0:  # killed by a signal: die of the same one, so the status reads the same
        if -code != signal.SIGKILL:  # SIGKILL has no handler to reset (and setting one fails)
            signal.signal(-code, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {-code})
        os.kill(os.getpid(), -code)
        code = 128 - code
    os._exit(code)
