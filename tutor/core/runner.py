"""Running a learner's block: a sandboxed child process per run, never this process.

The child gets a scratch folder, closed stdin, a cleaned environment, its own process
group (killed whole when the run ends), an address-space limit, a wall-clock timeout
and capped output. `BlockRun.cancel()` may be called from any thread.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tutor.core.job import BLOCK_FILENAME, JOB_FILENAME, REPORT_FILENAME, ChildReport, Job
from tutor.core.lessons import Lesson
from tutor.core.results import RunResult, Status
from tutor.core.verdict import judge, unfinished

# Variables a run may see; everything else (tokens, agent sockets, the tutor's own
# settings) stays out of the learner's process.
_ENV_KEPT = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "TMPDIR", "USER", "LOGNAME")


@dataclass(frozen=True)
class RunLimits:
    timeout_s: float = 10.0
    memory_mb: int = 2048  # address space; torch itself needs about 1 GB of it
    output_bytes: int = 256 * 1024  # kept per stream: the head and the tail


class RunCancelled(Exception):
    """The run was cancelled before it finished; there is no verdict."""


class CappedStream:
    """Drains a pipe to its end, keeping only its head and tail."""

    def __init__(self, pipe: object, limit: int) -> None:
        self._pipe = pipe
        self._head_limit = limit // 4
        self._tail_limit = limit - self._head_limit
        self._head = bytearray()
        self._tail = bytearray()
        self._dropped = 0
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        while chunk := self._pipe.read1(65536):  # type: ignore[attr-defined]
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


def sandbox_environment() -> dict[str, str]:
    env = {name: os.environ[name] for name in _ENV_KEPT if name in os.environ}
    env["OMP_NUM_THREADS"] = "1"
    return env


class BlockRun:
    """One check of a learner's block against a lesson."""

    def __init__(
        self,
        lesson: Lesson,
        source: str | bytes,
        *,
        detect_anomaly: bool = False,
        capture_graph: bool = False,
        limits: RunLimits = RunLimits(),
        language: str = "en",
    ) -> None:
        self.lesson = lesson
        self.source = source.encode("utf-8") if isinstance(source, str) else source
        self.detect_anomaly = detect_anomaly
        self.capture_graph = capture_graph
        self.limits = limits
        self.language = language
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    def wait(self) -> RunResult:
        """Run to a verdict; raises RunCancelled if `cancel()` came first."""
        scratch = Path(tempfile.mkdtemp(prefix="minigpt-tutor-run-"))
        try:
            return self._run_in(scratch)
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
        )

    def _run_in(self, scratch: Path) -> RunResult:
        (scratch / JOB_FILENAME).write_text(self._job().model_dump_json(), encoding="utf-8")
        (scratch / BLOCK_FILENAME).write_bytes(self.source)
        started = time.monotonic()
        process = subprocess.Popen(
            [sys.executable, "-I", "-B", "-X", "utf8", "-m", "tutor.sandbox", str(scratch)],
            cwd=scratch,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=sandbox_environment(),
            start_new_session=True,  # its own process group, so one kill ends all it started
        )
        stdout = CappedStream(process.stdout, self.limits.output_bytes)
        stderr = CappedStream(process.stderr, self.limits.output_bytes)
        timed_out = not self._wait_for(process, started)
        _kill_group(process)
        process.wait()
        if self._cancelled.is_set():
            raise RunCancelled
        duration = time.monotonic() - started
        out, err = stdout.text(), stderr.text()
        report_path = scratch / REPORT_FILENAME
        if timed_out:
            result = unfinished(self.lesson.id, Status.TIMEOUT, self.language, seconds=self.limits.timeout_s)
        elif report_path.is_file():
            report = ChildReport.model_validate_json(report_path.read_text(encoding="utf-8"))
            result = judge(self.lesson.id, report, err, self.language).model_copy(update={"graph": report.graph})
        else:
            result = unfinished(self.lesson.id, Status.CRASHED, self.language, returncode=process.returncode)
        return result.model_copy(update={"duration_s": round(duration, 3), "stdout": out, "stderr": err})

    def _wait_for(self, process: subprocess.Popen[bytes], started: float) -> bool:
        """True when the child exits by itself; False on timeout or cancel."""
        while not self._cancelled.is_set():
            left = self.limits.timeout_s - (time.monotonic() - started)
            if left <= 0:
                return False
            try:
                process.wait(timeout=min(left, 0.05))
                return True
            except subprocess.TimeoutExpired:
                continue
        return False


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass  # the group is already gone


def run_block(lesson: Lesson, source: str | bytes, **options: object) -> RunResult:
    """Run and wait: the blocking form, for the CLI and the tests."""
    return BlockRun(lesson, source, **options).wait()  # type: ignore[arg-type]
