"""`python -m tutor.sandbox.warm FD [--optimizers] [--once]`: the warm runner, one per tutor session.

It imports torch, minigpt and the scenarios once and runs no torch op (forking a process
that has run multi-threaded torch ops gives children that deadlock). For each run it
forks a supervisor exactly like the one the cold runner starts in a fresh interpreter,
so a run costs a fork instead of an interpreter and an `import torch`, and whatever the
learner's block changes dies with its own fork.

Protocol, over the SOCK_SEQPACKET socket FD: the server sends {"ready": true} once.
The tutor sends one packet per run, {"scratch": DIR, "job": {...}}, with four
descriptors attached: a reply socket, the run's stdout and stderr, and the pipe for its
result. On the reply socket the server answers {"pid": N} (the supervisor, leader of its
own session) at once, then {"returncode": R} when it has ended. The server exits at once
when the tutor closes its end, and the runs still going end with it.

The server runs no learner code, and no process of the learner's can read or change it
(it is not dumpable). It is a child subreaper: when a block kills its own supervisor,
what the block started comes back here and is killed.
"""

from __future__ import annotations

import json
import os
import selectors
import socket
import sys
import traceback
from functools import partial
from pathlib import Path
from typing import NoReturn

from tutor.core.job import AnyJob, ExperimentJob, parse_job
from tutor.core.processes import become_subreaper, kill_orphans, make_undumpable
from tutor.sandbox.observe import OPTIMIZER_SCENARIOS, preload_optimizers

DESCRIPTORS = 4  # reply socket, stdout, stderr, result
PACKET_BYTES = 65536


class WarmServer:
    def __init__(self, control: socket.socket, *, once: bool = False) -> None:
        self.control = control
        self.selector = selectors.DefaultSelector()
        self.selector.register(control, selectors.EVENT_READ, self._request)
        self.replies: dict[int, socket.socket] = {}  # pidfd -> the run's reply socket
        self.supervisors: dict[int, int] = {}  # pidfd -> the supervisor's pid
        self.once = once  # a server for one check: no later runs to preload for
        self.optimizers_wanted = False
        self.optimizers_loaded = False

    def serve(self) -> None:
        self.control.send(json.dumps({"ready": True}).encode())
        while True:
            for key, _ in self.selector.select():
                if not key.data():
                    return

    def _request(self) -> bool:
        """One run asked for; False when the tutor has gone."""
        try:
            message, descriptors, _, _ = socket.recv_fds(self.control, PACKET_BYTES, DESCRIPTORS)
        except OSError:
            return False
        if not message:
            return False
        if len(descriptors) != DESCRIPTORS:
            for descriptor in descriptors:
                os.close(descriptor)
            return True
        reply_fd, stdout_fd, stderr_fd, result_fd = descriptors
        reply = socket.socket(fileno=reply_fd)
        try:
            request = json.loads(message)
            job, scratch = parse_job(request["job"]), Path(request["scratch"])
            if self.once and builds_optimizer(job) and not self.optimizers_loaded:
                preload_optimizers()  # once here, rather than in both the control's fork and the learner's
                self.optimizers_loaded = True
            pid = os.fork()
            if pid == 0:
                self._become_supervisor(job, scratch, (stdout_fd, stderr_fd, result_fd), reply)
            pidfd = os.pidfd_open(pid)  # before any reaping, so the pid is surely this child
        except (OSError, ValueError, KeyError, TypeError) as error:
            _send(reply, {"error": f"{type(error).__name__}: {error}"})
            reply.close()
            return True
        finally:
            for descriptor in (stdout_fd, stderr_fd, result_fd):
                os.close(descriptor)  # only the run holds them now: the tutor sees EOF when it ends
        self.replies[pidfd] = reply
        self.supervisors[pidfd] = pid
        self.selector.register(pidfd, selectors.EVENT_READ, partial(self._ended, pid, pidfd))
        _send(reply, {"pid": pid})
        self.optimizers_wanted = self.optimizers_wanted or builds_optimizer(job)
        return True

    def _ended(self, pid: int, pidfd: int) -> bool:
        _, status = os.waitpid(pid, 0)
        self.selector.unregister(pidfd)
        os.close(pidfd)
        del self.supervisors[pidfd]
        returncode = os.waitstatus_to_exitcode(status)
        if returncode < 0:  # perhaps killed by its own block: what that started is ours now
            kill_orphans(set(self.supervisors.values()))
        reply = self.replies.pop(pidfd)
        _send(reply, {"returncode": returncode})
        reply.close()
        if self.optimizers_wanted and not self.optimizers_loaded and not self.replies and not self.once:
            # Idle now: the run that wanted them paid the import itself; later runs fork with it.
            preload_optimizers()
            self.optimizers_loaded = True
        return True

    def _become_supervisor(self, job: AnyJob, scratch: Path, descriptors: tuple[int, int, int],
                           reply: socket.socket) -> NoReturn:
        try:
            os.setsid()
            stdout_fd, stderr_fd, result_fd = descriptors
            os.dup2(stdout_fd, 1)
            os.dup2(stderr_fd, 2)
            # the run keeps nothing of the server: not the tutor's socket, not other runs'
            for descriptor in (stdout_fd, stderr_fd, *self.replies):
                os.close(descriptor)
            for held in (reply, self.control, *self.replies.values()):
                held.close()
            self.selector.close()
            os.chdir(scratch)
            from tutor.sandbox.supervisor import supervise

            supervise(job, scratch, result_fd)
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(70)


def _send(reply: socket.socket, message: dict[str, object]) -> None:
    try:
        reply.send(json.dumps(message).encode())
    except OSError:
        pass  # the tutor stopped waiting for this run


def preload() -> None:
    """Everything a run imports, so that a fork starts with it; no torch op runs here."""
    import torch

    torch.set_num_threads(1)  # before any op: the children fork from a single-threaded torch
    from tutor.sandbox import scenarios, supervisor  # noqa: F401  (scenarios brings minigpt; supervisor, both workers)


def builds_optimizer(job: AnyJob) -> bool:
    return isinstance(job, ExperimentJob) or job.scenario in OPTIMIZER_SCENARIOS  # an experiment trains with AdamW


if __name__ == "__main__":
    flags = set(sys.argv[2:])
    if len(sys.argv) < 2 or not sys.argv[1].isdigit() or not flags <= {"--optimizers", "--once"}:
        sys.exit("usage: python -m tutor.sandbox.warm FD [--optimizers] [--once]")
    make_undumpable()
    become_subreaper()
    control = socket.socket(fileno=int(sys.argv[1]))
    preload()
    server = WarmServer(control, once="--once" in flags)
    if "--optimizers" in flags:
        preload_optimizers()
        server.optimizers_loaded = True
    server.serve()
    # The tutor has gone: end its runs, then leave without the interpreter's shutdown, which
    # with torch loaded takes half a second the learner would wait for at quit.
    kill_orphans(set())
    os._exit(0)
