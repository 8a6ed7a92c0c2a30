"""The warm runner, seen from the tutor: one server per tutor session.

`RunnerSession().start()` spawns `python -m tutor.sandbox.warm` and returns at once;
the server imports torch (about 1.4 s) while the learner reads. `BlockRun(...,
session=session)` then forks each run from it. When the server is not there (it
never became ready, it died, it was stopped, it does not answer) `launch` raises
`RunnerUnavailable`: the run goes cold and says so, and the session starts a new
server for the runs after it, a few times at most. The session also keeps each
lesson's control result, so the control runs once per lesson. The tutor owns the
session: create it once, close it on exit (or use it as a context manager).
"""

from __future__ import annotations

import json
import select
import socket
import subprocess
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path
from types import TracebackType

from tutor.core.job import AnyJob, Job
from tutor.core.launch import RunnerUnavailable, own_children, sandbox_command, sandbox_environment
from tutor.core.rawresult import Observed

READY_TIMEOUT_S = 15.0  # an `import torch` on a busy machine, counted from the spawn
ANSWER_TIMEOUT_S = 8.0  # a fork and a reply, or the server's one-off optimizer import (see tutor.sandbox.warm)
RESTARTS = 3
CONTROLS_KEPT = 8  # lessons' controls kept at once, about 240 KB each
_PACKET_BYTES = 65536
_LOOK_S = 0.05  # how often a wait looks whether the server was stopped


class WarmProcess:
    """A run's supervisor, forked by the server; the server reports its exit code."""

    def __init__(self, pid: int, reply: socket.socket, session: RunnerSession, server: subprocess.Popen[bytes]) -> None:
        self.pid = pid
        self._reply = reply
        self._session = session
        self._server = server
        self._code: int | None = None

    def returncode(self, timeout: float) -> int | None:
        if self._code is None and _answered(self._reply, timeout, self._server):
            answer = _read(self._reply)
            if answer is None or "returncode" not in answer:
                raise RunnerUnavailable("stopped")
            self._code = int(answer["returncode"])
        if self._code is None and _stopped(self._server):
            self._session.drop(self._server)
            raise RunnerUnavailable("no_answer")
        return self._code

    def close(self) -> None:
        self._reply.close()


class RunnerSession:
    def __init__(self, *, ready_timeout_s: float = READY_TIMEOUT_S, answer_timeout_s: float = ANSWER_TIMEOUT_S,
                 restarts: int = RESTARTS, optimizers: bool = False, once: bool = False) -> None:
        self.ready_timeout_s = ready_timeout_s
        self.optimizers = optimizers  # preload torch.optim's imports at once (a course check), not on first need
        self.once = once  # a server for one check: it never preloads for later runs
        self.answer_timeout_s = answer_timeout_s
        self._starts_left = 1 + restarts
        self._lock = threading.Lock()
        self._server: subprocess.Popen[bytes] | None = None
        self._control: socket.socket | None = None
        self._spawned_at = 0.0
        self._ready = False
        self._closed = False
        self._controls: OrderedDict[str, Observed] = OrderedDict()

    def start(self) -> RunnerSession:
        """Spawn the server without waiting for it."""
        with self._lock:
            if self._server is None:
                self._spawn()
        return self

    @property
    def server_pid(self) -> int | None:
        server = self._server
        return server.pid if server is not None and server.poll() is None else None

    def wait_ready(self) -> bool:
        """Block until the server can take runs (at most the ready timeout); for benchmarks and tests."""
        with self._lock:
            try:
                self._ready_control()
                return True
            except RunnerUnavailable:
                return False

    def control(self, job: Job) -> Observed | None:
        """The control's result kept for this job's lesson, if a run of it has computed one."""
        with self._lock:
            return self._controls.get(job.control_key())

    def keep_control(self, job: Job, control: Observed) -> None:
        with self._lock:
            self._controls[job.control_key()] = control
            while len(self._controls) > CONTROLS_KEPT:
                self._controls.popitem(last=False)

    def launch(self, job: AnyJob, scratch: Path, stdout_fd: int, stderr_fd: int, result_fd: int) -> WarmProcess:
        """Have the server fork a supervisor for `job`, in `scratch`."""
        here, there = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            with self._lock:
                control = self._ready_control()
                request = json.dumps({"scratch": str(scratch), "job": job.model_dump(mode="json")}).encode()
                try:
                    socket.send_fds(control, [request], [there.fileno(), stdout_fd, stderr_fd, result_fd])
                except OSError:
                    self._replace()
                    raise RunnerUnavailable("stopped") from None
                server = self._server
        finally:
            there.close()
        answer = _read(here) if server is not None and _answered(here, self.answer_timeout_s, server) else None
        if answer is None or "pid" not in answer:
            here.close()
            reason = "stopped" if server is None or _ended(server) else "no_answer"
            self.drop(server)  # a server that does not answer is of no more use
            raise RunnerUnavailable(reason)
        return WarmProcess(int(answer["pid"]), here, self, server)

    def drop(self, server: subprocess.Popen[bytes] | None) -> None:
        """Replace `server` if it is still the current one."""
        with self._lock:
            if self._server is server:
                self._replace()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._discard()

    def __enter__(self) -> RunnerSession:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # The methods below run under self._lock.

    def _ready_control(self) -> socket.socket:
        if self._server is None or self._control is None or self._server.poll() is not None:
            reason = "stopped" if self._server is not None else "not_started"
            self._replace()
            raise RunnerUnavailable(reason)
        if _stopped(self._server):
            self._replace()
            raise RunnerUnavailable("no_answer")
        if not self._ready:
            left = self.ready_timeout_s - (time.monotonic() - self._spawned_at)
            if not (_answered(self._control, max(left, 0), self._server) and _read(self._control) == {"ready": True}):
                self._replace()
                raise RunnerUnavailable("not_started")
            self._ready = True
        return self._control

    def _replace(self) -> None:
        """Drop the current server; start another for the runs to come, while restarts are left."""
        self._discard()
        self._spawn()

    def _spawn(self) -> None:
        if self._closed or self._starts_left <= 0:
            return
        self._starts_left -= 1
        here, there = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._server = own_children.start(lambda: subprocess.Popen(
                sandbox_command("tutor.sandbox.warm", str(there.fileno()), *(["--optimizers"] if self.optimizers else []),
                                *(["--once"] if self.once else [])),
                pass_fds=(there.fileno(),),
                cwd=tempfile.gettempdir(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=sandbox_environment(),
                start_new_session=True,  # the terminal's Ctrl-C is for the tutor, not for it
            ))
        except OSError:
            here.close()
            return
        finally:
            there.close()
        self._control, self._spawned_at, self._ready = here, time.monotonic(), False

    def _discard(self) -> None:
        server, control = self._server, self._control
        self._server = self._control = None
        if control is not None:
            control.close()  # the server exits when it sees the tutor's end close
        if server is not None:
            try:
                server.wait(timeout=1 if self._ready and not _stopped(server) else 0)  # importing or stopped: no wait
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            own_children.discard(server.pid)


def _read(channel: socket.socket) -> dict[str, object] | None:
    """One JSON packet, or None when the other end has gone."""
    try:
        packet = channel.recv(_PACKET_BYTES)
        return json.loads(packet) if packet else None
    except (OSError, ValueError):
        return None


def _answered(channel: socket.socket, timeout: float, server: subprocess.Popen[bytes]) -> bool:
    """Whether `channel` has something to read within `timeout`; False at once if the server was stopped."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if select.select([channel], [], [], max(0.0, min(left, _LOOK_S)))[0]:
            return True
        if left <= 0 or _stopped(server):
            return False


def _stopped(server: subprocess.Popen[bytes]) -> bool:
    """Whether the server is stopped (SIGSTOP, or a debugger): it would never answer."""
    try:
        with open(f"/proc/{server.pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] in (b"T", b"t")
    except (OSError, IndexError):
        return False


def _ended(server: subprocess.Popen[bytes]) -> bool:
    """Whether the server has exited; its sockets close a moment before its exit status is there."""
    try:
        server.wait(timeout=0.2)
        return True
    except subprocess.TimeoutExpired:
        return False
