"""Running a learner's block: sandboxed processes per run, never this process; the verdict here.

A check is two runs of the lesson's scenario, each under its own supervisor
(tutor/sandbox/supervisor.py): the learner's block in place of the target, and the
control, minigpt's own function in a run that never holds the block (the session keeps
it, so each lesson's control runs once per session). Each run only reports what it
saw, over a pipe read here with a byte cap; this process, which runs no learner code,
checks every size and shape and compares the two. The supervisors are forks of a runner
server (tutor/core/warm.py) that has imported torch: the session's warm runner, or, for
a cold run, a fresh server started for this check alone. Either way the same limits
hold: a scratch folder, /dev/null as stdin, a cleaned environment, its own session and
process group, a subreaper that kills whatever the block leaves running, an
address-space limit, a bound on processes, a wall-clock timeout and capped output.
`SandboxRun` is that pipeline, whatever the job; `BlockRun` is a check (an experiment
is the other kind of job, tutor/core/experiment.py). `cancel()` may be called from any thread.
"""

from __future__ import annotations

import math
import os
import select
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from tutor.core.i18n import Wording
from tutor.core.files import last_line_fields
from tutor.core.job import BLOCK_FILENAME, PREPARE_S, PROGRESS_FILENAME, RESULT_BYTES, AnyJob, Job
from tutor.core.launch import Launcher, RunnerUnavailable, RunProcess, own_children, protect_this_process, stop
from tutor.core.lessons import Lesson
from tutor.core.rawresult import MalformedResult, Observed, decode
from tutor.core.results import RunResult, Status
from tutor.core.verdict import (control_failed, crash_how, failed_to_start, judge, sandbox_failed, unfinished,
                                unreadable)

from tutor.core.warm import RunnerSession

_POLL_S = 0.05
_RESULT_GRACE_S = 2.0  # for a result pipe to close once its run has ended (a leftover process may hold it)
COLD_READY_TIMEOUT_S = 60.0  # a fresh `import torch` (and torch._dynamo) on a very busy machine
TIMEOUT_RANGE_S = (1.0, 3600.0)
PROGRESS_BYTES = 1 << 20  # a line per training step: a few KB
Outcome = TypeVar("Outcome")


@dataclass(frozen=True)
class RunLimits:
    timeout_s: float = 10.0
    memory_mb: int = 2048  # address space; torch itself needs about 1 GB of it
    output_bytes: int = 256 * 1024  # kept per stream: the head and the tail

    def __post_init__(self) -> None:
        check_timeout(self.timeout_s)


def check_timeout(seconds: float) -> float:
    """`seconds` if it is a finite timeout in TIMEOUT_RANGE_S (nan or inf would disarm every deadline)."""
    low, high = TIMEOUT_RANGE_S
    if not (math.isfinite(seconds) and low <= seconds <= high):
        raise ValueError(f"a timeout is a number of seconds from {low:g} to {high:g}, not {seconds!r}")
    return seconds


class RunCancelled(Exception):
    """The run was cancelled before it finished; there is no verdict."""


class CappedStream:
    """Drains a pipe to its end, keeping only its head and tail."""

    def __init__(self, descriptor: int, limit: int) -> None:
        self._pipe = os.fdopen(descriptor, "rb")
        self._head_limit = limit // 4
        self._tail_limit = limit - self._head_limit
        self._head = bytearray()
        self._tail = bytearray()
        self._dropped = 0
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        with self._pipe:
            while chunk := self._pipe.read1(65536):
                room = self._head_limit - len(self._head)
                self._head += chunk[:room]
                self._tail += chunk[max(room, 0) :]
                if len(self._tail) > self._tail_limit:
                    excess = len(self._tail) - self._tail_limit
                    self._dropped += excess
                    del self._tail[:excess]

    def text(self) -> str:
        self.thread.join(timeout=2)
        gap = f"\n[... {self._dropped} bytes of output not kept ...]\n" if self._dropped else ""
        return self._head.decode("utf-8", "replace") + gap + self._tail.decode("utf-8", "replace")


class ResultPipe:
    """Reads a run's result to its end, and no further than `limit` bytes: past it, the
    pipe is closed (the run's next write fails) and the result is refused."""

    def __init__(self, descriptor: int, limit: int) -> None:
        os.set_blocking(descriptor, False)
        self._descriptor = descriptor
        self._limit = limit
        self._data = bytearray()
        self._stop = threading.Event()
        self.problem: Wording | None = None  # why the result cannot be used
        self.overflowed = False
        self._thread = threading.Thread(target=self._drain, daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        try:
            while not self._stop.is_set():
                if not select.select([self._descriptor], [], [], _POLL_S)[0]:
                    continue
                try:
                    chunk = os.read(self._descriptor, 65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    return
                if len(self._data) + len(chunk) > self._limit:
                    self.problem = Wording(key="result.too_large", values={"mb": self._limit >> 20})
                    self.overflowed = True
                    return
                self._data += chunk
        finally:
            os.close(self._descriptor)

    def take(self) -> Observed | Wording:
        """The decoded result, or why there is none (after the run has ended)."""
        self._thread.join(_RESULT_GRACE_S)
        if self._thread.is_alive():
            self._stop.set()
            self._thread.join()
            self.problem = self.problem or Wording(key="result.not_ended")
        if self.problem:
            return self.problem
        try:
            return decode(bytes(self._data))
        except MalformedResult as error:
            return Wording(key="result.malformed", values={"detail": str(error)})

    def close(self) -> None:
        self._stop.set()


class Started:
    """One sandboxed run, started: its supervisor, its scratch folder, its output and its result."""

    def __init__(self, launch: Launcher, job: AnyJob, scratch: Path, limits: RunLimits) -> None:
        self.scratch = scratch
        pipes = [os.pipe() for _ in range(3)]  # stdout, stderr, result
        try:
            self.process: RunProcess = launch(job, scratch, *(write for _, write in pipes))
        except BaseException:
            for read, _ in pipes:
                os.close(read)
            raise
        finally:
            for _, write in pipes:
                os.close(write)  # the run holds the only write ends: EOF comes when it ends
        self.stdout = CappedStream(pipes[0][0], limits.output_bytes)
        self.stderr = CappedStream(pipes[1][0], limits.output_bytes)
        self.result = ResultPipe(pipes[2][0], RESULT_BYTES)
        self.returncode: int | None = None
        self.ended = False

    def close(self) -> None:
        self.result.close()
        self.process.close()


class SandboxRun(Generic[Outcome]):
    """One job in the sandbox, whatever its kind: its runs forked from the session's warm
    runner or, without one, from a fresh runner started for the job alone; a scratch folder
    per run; the same limits; `cancel()` from any thread; nothing left behind. A kind of
    job says what its runs are and what their outcome is (`_attempt`)."""

    def __init__(self, limits: RunLimits, session: RunnerSession | None) -> None:
        self.limits = limits
        self.session = session
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    def _attempt(self, launch: Launcher) -> Outcome:
        raise NotImplementedError

    def _run(self) -> tuple[Outcome, dict[str, object]]:
        """The outcome, and how it ran: with a session, `runner` is "warm" or "cold", and a cold
        run names why in `runner_fallback` ("not_started", "stopped" or "no_answer"). Raises
        RunnerUnavailable when not even a fresh runner took the job, RunCancelled on a cancel,
        OSError when the tutor could not start it."""
        protect_this_process()
        if self.session is None:
            return self._cold(), {}
        try:
            return self._attempt(self.session.launch), {"runner": "warm"}
        except RunnerUnavailable as unavailable:
            return self._cold(), {"runner": "cold", "runner_fallback": unavailable.reason}

    def _cold(self) -> Outcome:
        """The job in a fresh runner server, started for it alone (it imports torch itself)."""
        with RunnerSession(restarts=0, ready_timeout_s=COLD_READY_TIMEOUT_S, answer_timeout_s=COLD_READY_TIMEOUT_S,
                            once=True) as fresh:
            return self._attempt(fresh.launch)

    @contextmanager
    def _started(self, launch: Launcher, runs: list[tuple[AnyJob, bytes | None]]) -> Iterator[list[Started]]:
        """Each job started in a scratch folder of its own, with its block if it has one."""
        started: list[Started] = []
        scratches: list[Path] = []
        try:
            for job, block in runs:
                scratch = Path(tempfile.mkdtemp(prefix="minigpt-tutor-run-"))
                scratches.append(scratch)
                if block is not None:
                    (scratch / BLOCK_FILENAME).write_bytes(block)
                started.append(Started(launch, job, scratch, self.limits))
            yield started
        finally:
            for run in started:
                if not run.ended:
                    self._end(run)
                run.close()
            if any(run.returncode is None or run.returncode < 0 for run in started):
                own_children.sweep()  # a supervisor that was killed leaves its run's processes to us
            for scratch in scratches:
                remove_scratch(scratch)

    def _wait_for(self, run: Started, deadline: Callable[[], float], watch: Callable[[], None] | None = None) -> None:
        """Until `run` ends, calling `watch` at every poll; past the deadline (asked again at
        every poll) or on a cancel, it is stopped and its code stays None."""
        while not self._cancelled.is_set():
            if watch is not None:
                watch()
            left = deadline() - time.monotonic()
            if left <= 0:
                break
            returncode = run.process.returncode(min(left, _POLL_S))
            if returncode is not None:
                run.returncode, run.ended = returncode, True
                return
        self._end(run)
        if self._cancelled.is_set():
            raise RunCancelled

    def _end(self, run: Started) -> None:
        run.ended = True
        stop(run.process)


class BlockRun(SandboxRun[RunResult]):
    """One check of a learner's block against a lesson: the learner's run and the
    control's, compared here. The result's evidence says how it ran (`SandboxRun._run`)."""

    def __init__(
        self,
        lesson: Lesson,
        source: str | bytes,
        *,
        detect_anomaly: bool = False,
        capture_graph: bool = False,
        limits: RunLimits = RunLimits(),
        session: RunnerSession | None = None,
    ) -> None:
        super().__init__(limits, session)
        self.lesson = lesson
        self.source = source.encode("utf-8") if isinstance(source, str) else source
        self.detect_anomaly = detect_anomaly
        self.capture_graph = capture_graph

    def wait(self) -> RunResult:
        """Run to a verdict; raises RunCancelled if `cancel()` came first. A run the tutor could
        not start (no runner, no scratch folder, no pipe, no process) is an `error`, not the
        block's fault."""
        try:
            result, how = self._run()
        except RunnerUnavailable as unavailable:
            return sandbox_failed(self.lesson.id, unavailable.reason)
        except OSError as error:
            return failed_to_start(self.lesson.id, error)
        return result.model_copy(update={"evidence": {**result.evidence, **how}})

    def _job(self) -> Job:
        check = self.lesson.check
        return Job(
            lesson=self.lesson.id,
            target=self.lesson.target,
            scenario=check.scenario,
            settings=check.settings,
            detect_anomaly=self.detect_anomaly,
            capture_graph=self.capture_graph,
            memory_mb=self.limits.memory_mb,
            timeout_s=self.limits.timeout_s,
        )

    def _attempt(self, launch: Launcher) -> RunResult:
        job = self._job()
        kept = self.session.control(job) if self.session is not None else None
        started = time.monotonic()
        runs: list[tuple[AnyJob, bytes | None]] = [(job, self.source)]
        if kept is None:
            runs.append((job.control(), None))  # a control run never holds the block
        with self._started(launch, runs) as ours:
            learner, control = ours[0], (ours[1] if kept is None else None)
            clocks = [ScenarioClock(run.scratch / PROGRESS_FILENAME, self.limits.timeout_s) for run in ours]
            self._wait_for(learner, clocks[0].deadline)
            outcome = learner.result.take() if learner.returncode == 0 else None
            needs_control = isinstance(outcome, Observed) and outcome.header.outcome in ("observed", "raised")
            if control is not None:
                if needs_control:
                    self._wait_for(control, clocks[1].deadline)
                else:
                    self._end(control)
            duration = time.monotonic() - started
            result = self._verdict(learner, outcome, control, kept, job)
            out, err = learner.stdout.text(), learner.stderr.text()
        return result.model_copy(update={"duration_s": round(duration, 3), "stdout": out, "stderr": err})

    def _verdict(self, learner: Started, outcome: Observed | Wording | None, control: Started | None,
                 kept: Observed | None, job: Job) -> RunResult:
        lesson_id = self.lesson.id
        if learner.returncode is None:
            progress = learner.scratch / PROGRESS_FILENAME
            if not os.path.lexists(progress):  # the scenario's clock never started
                return unfinished(lesson_id, Status.TIMEOUT, seconds=PREPARE_S + self.limits.timeout_s, began=False)
            return unfinished(lesson_id, Status.TIMEOUT, seconds=self.limits.timeout_s, progress=steps_done(progress))
        if learner.result.overflowed:  # the run then dies writing to a closed pipe: say why
            return unreadable(lesson_id, Wording(key="result.too_large", values={"mb": RESULT_BYTES >> 20}))
        if learner.returncode != 0:  # only a clean exit has a result, whatever the run left in the pipe
            return unfinished(lesson_id, Status.CRASHED, returncode=learner.returncode)
        if isinstance(outcome, Wording):
            return unreadable(lesson_id, outcome)
        assert outcome is not None
        expected = kept if kept is not None else self._control_from(control)
        if isinstance(expected, Wording) and outcome.header.outcome in ("observed", "raised"):
            return control_failed(lesson_id, expected)
        if isinstance(expected, Observed) and kept is None and self.session is not None:
            self.session.keep_control(job, expected)
        err = learner.stderr.text()
        result = judge(lesson_id, outcome, expected if isinstance(expected, Observed) else None, err,
                       self.lesson.check.tolerance)
        return result.model_copy(update={"graph": outcome.header.graph})

    def _control_from(self, control: Started | None) -> Observed | Wording:
        if control is None or control.returncode is None:
            return Wording(key="control.timeout", values={"seconds": f"{self.limits.timeout_s:g}"})
        if control.returncode != 0:
            return Wording(key="control.crashed", terms={"how": crash_how(control.returncode)})
        outcome = control.result.take()
        if isinstance(outcome, Observed) and outcome.header.outcome != "observed":
            return Wording(key="control.error", values={"detail": outcome.header.detail or outcome.header.outcome})
        return outcome


class ScenarioClock:
    """A run's deadline: `timeout_s` from the moment its scenario starts (the first line of
    its progress file), so that a fresh interpreter's imports never count against the
    learner; until then, PREPARE_S more."""

    def __init__(self, progress: Path, timeout_s: float) -> None:
        self.progress = progress
        self.timeout_s = timeout_s
        self.started = time.monotonic()
        self.scenario_started: float | None = None

    def deadline(self) -> float:
        if self.scenario_started is None and os.path.lexists(self.progress):
            self.scenario_started = time.monotonic()
        if self.scenario_started is None:
            return self.started + PREPARE_S + self.timeout_s
        return self.scenario_started + self.timeout_s


def steps_done(progress: Path) -> tuple[int, int] | None:
    """How far a run's scenario got, from its progress file: (done, total), or None when it
    trains no steps or got to none."""
    try:
        done, total = map(int, last_line_fields(progress, PROGRESS_BYTES))
    except ValueError:  # no line, or not one the scenario wrote
        return None
    return (done, total) if 0 < done <= total else None


def remove_scratch(folder: Path) -> None:
    """Remove a run's scratch folder, whatever the block did to the permissions inside it."""
    _open_up(str(folder))
    for root, folders, _ in os.walk(folder):  # top-down: each folder is opened up before the walk goes in
        for name in folders:
            _open_up(os.path.join(root, name))
    shutil.rmtree(folder, ignore_errors=True)


def _open_up(path: str) -> None:
    """chmod 700 a folder (one the block made unreadable, say), never through a symlink."""
    try:
        descriptor = os.open(path, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return  # a symlink, or gone
    try:
        os.chmod(f"/proc/self/fd/{descriptor}", 0o700)  # the folder this descriptor holds, not a path looked up again
    except OSError:
        pass  # not ours to change; rmtree removes what it can
    finally:
        os.close(descriptor)


def run_block(lesson: Lesson, source: str | bytes, **options: object) -> RunResult:
    """Run and wait: the blocking form, for the CLI and the tests."""
    return BlockRun(lesson, source, **options).wait()  # type: ignore[arg-type]
