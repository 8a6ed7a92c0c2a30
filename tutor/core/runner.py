"""Running a learner's block: a sandboxed child process per run, never this process.

A run's supervisor (tutor/sandbox/supervisor.py) starts in one of two ways: as a fresh
interpreter (`python -m tutor.sandbox`, the cold runner), or as a fork of the session's
warm runner (tutor/core/warm.py), which has imported torch already. Either way the same
limits hold and the same code reads the outcome: a scratch folder, closed stdin, a
cleaned environment, its own session and process group, a subreaper that kills whatever
the block leaves running, an address-space limit, a bound on processes, a wall-clock
timeout and capped output. `BlockRun.cancel()` may be called from any thread.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tutor.core.i18n import tr
from tutor.core.job import BLOCK_FILENAME, JOB_FILENAME, REPORT_FILENAME, ChildReport, Job
from tutor.core.launch import ColdProcess, Launcher, RunnerUnavailable, RunProcess, stop
from tutor.core.lessons import Lesson
from tutor.core.results import RunResult, Status
from tutor.core.verdict import judge, unfinished
from tutor.core.warm import RunnerSession

_POLL_S = 0.05


@dataclass(frozen=True)
class RunLimits:
    timeout_s: float = 10.0
    memory_mb: int = 2048  # address space; torch itself needs about 1 GB of it
    output_bytes: int = 256 * 1024  # kept per stream: the head and the tail


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


class BlockRun:
    """One check of a learner's block against a lesson.

    With a `session`, the run forks from its warm runner; when that runner is not there, the run starts cold and its evidence says so: `runner` is "warm" or "cold",
    and `runner_note` (cold only) tells the learner why, in their language.
    """

    def __init__(
        self,
        lesson: Lesson,
        source: str | bytes,
        *,
        detect_anomaly: bool = False,
        capture_graph: bool = False,
        limits: RunLimits = RunLimits(),
        language: str = "en",
        session: RunnerSession | None = None,
    ) -> None:
        self.lesson = lesson
        self.source = source.encode("utf-8") if isinstance(source, str) else source
        self.detect_anomaly = detect_anomaly
        self.capture_graph = capture_graph
        self.limits = limits
        self.language = language
        self.session = session
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    def wait(self) -> RunResult:
        """Run to a verdict; raises RunCancelled if `cancel()` came first."""
        if self.session is None:
            return self._attempt(ColdProcess)
        try:
            result = self._attempt(self.session.launch)
            how: dict[str, object] = {"runner": "warm"}
        except RunnerUnavailable as unavailable:
            result = self._attempt(ColdProcess)
            why = tr(f"runner.fallback.{unavailable.reason}", self.language)
            how = {"runner": "cold", "runner_note": tr("runner.fallback", self.language, why=why)}
        return result.model_copy(update={"evidence": {**result.evidence, **how}})

    def _attempt(self, launch: Launcher) -> RunResult:
        scratch = Path(tempfile.mkdtemp(prefix="minigpt-tutor-run-"))
        try:
            return self._run_in(scratch, launch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def _job(self) -> Job:
        check = self.lesson.check
        return Job(
            lesson=self.lesson.id,
            target=self.lesson.target,
            scenario=check.scenario,
            settings=check.settings,
            tolerance=check.tolerance,
            detect_anomaly=self.detect_anomaly,
            capture_graph=self.capture_graph,
            memory_mb=self.limits.memory_mb,
            timeout_s=self.limits.timeout_s,
        )

    def _run_in(self, scratch: Path, launch: Launcher) -> RunResult:
        (scratch / JOB_FILENAME).write_text(self._job().model_dump_json(), encoding="utf-8")
        (scratch / BLOCK_FILENAME).write_bytes(self.source)
        started = time.monotonic()
        stdout_read, stdout_write = os.pipe()
        stderr_read, stderr_write = os.pipe()
        try:
            process = launch(scratch, stdout_write, stderr_write)
        except BaseException:
            os.close(stdout_read)
            os.close(stderr_read)
            raise
        finally:
            os.close(stdout_write)  # the run holds the only write ends: EOF comes when it ends
            os.close(stderr_write)
        stdout = CappedStream(stdout_read, self.limits.output_bytes)
        stderr = CappedStream(stderr_read, self.limits.output_bytes)
        try:
            returncode = self._wait_for(process)
        except RunnerUnavailable:
            stop(process)
            raise
        finally:
            process.close()
        if self._cancelled.is_set():
            raise RunCancelled
        duration = time.monotonic() - started
        out, err = stdout.text(), stderr.text()
        report_path = scratch / REPORT_FILENAME
        if returncode is None:
            result = unfinished(self.lesson.id, Status.TIMEOUT, self.language, seconds=self.limits.timeout_s)
        elif report_path.is_file():
            report = ChildReport.model_validate_json(report_path.read_text(encoding="utf-8"))
            result = judge(self.lesson.id, report, err, self.language).model_copy(update={"graph": report.graph})
        else:
            result = unfinished(self.lesson.id, Status.CRASHED, self.language, returncode=returncode)
        return result.model_copy(update={"duration_s": round(duration, 3), "stdout": out, "stderr": err})

    def _wait_for(self, process: RunProcess) -> int | None:
        """The supervisor's exit code; None after a timeout or a cancel, once the run is stopped."""
        started = time.monotonic()
        while not self._cancelled.is_set():
            left = self.limits.timeout_s - (time.monotonic() - started)
            if left <= 0:
                break
            returncode = process.returncode(min(left, _POLL_S))
            if returncode is not None:
                return returncode
        stop(process)
        return None


def run_block(lesson: Lesson, source: str | bytes, **options: object) -> RunResult:
    """Run and wait: the blocking form, for the CLI and the tests."""
    return BlockRun(lesson, source, **options).wait()  # type: ignore[arg-type]
