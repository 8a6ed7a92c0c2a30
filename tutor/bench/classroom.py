"""A class on this machine: N learners, each a real tutor session with its own warm runner.

Each simulated learner is a process running the tutor's app headless (Textual's Pilot),
on the in-place lesson, with its own save and its own warm runner, exactly as a learner's
SSH session would. Once every learner's warm runner is ready, all of them press the run
key every few seconds (jittered, so they do not march in step), alternating the starter
and the fix, for a fixed time. Measured: run-to-verdict (the key press to the verdict on
screen), runs whose verdict was a timeout although the block ends (false timeouts), runs
that fell back to the cold runner, and the memory of each learner's processes (the UI,
its warm runner and its runs) as PSS, which shares torch's pages fairly between learners.

Each learner is `python -m tutor.ui.classroom_learner SAVES NAME SECONDS INTERVAL GO`.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

READY_TIMEOUT_S = 600  # every learner's torch import, on 2 cores
SAMPLE_EVERY_S = 2.0
# The targets for a 2-core classroom machine.
TARGETS = {"learners": 20, "p90_s": 2.0, "false_timeouts": 0, "pss_mb": 250.0}


def run_classroom(learners: int, seconds: float, interval: float) -> dict[str, object]:
    """Start `learners` sessions, let them run blocks for `seconds`, and return the figures."""
    with tempfile.TemporaryDirectory(prefix="minigpt-tutor-class-") as folder:
        saves, go = Path(folder) / "saves", Path(folder) / "go"
        processes = [subprocess.Popen([sys.executable, "-m", "tutor.ui.classroom_learner", str(saves), f"learner{n:02d}",
                                       str(seconds), str(interval), str(go)],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                     for n in range(learners)]
        try:
            started = time.monotonic()
            for process in processes:
                left = READY_TIMEOUT_S - (time.monotonic() - started)
                line = _readline(process, max(left, 1.0))
                if line.strip() != "ready":
                    raise RuntimeError(f"a learner did not start: {line.strip()} {_stderr(process)}")
            go.touch()
            samples = _sample_memory([p.pid for p in processes])
            outputs = [process.communicate(timeout=seconds + 300)[0] for process in processes]
            samples.stop()
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()
    runs = [json.loads(line) for output in outputs for line in output.splitlines() if line.startswith("{")]
    if not runs:
        raise RuntimeError("no run finished")
    latencies = sorted(run["latency_s"] for run in runs)
    per_learner = samples.per_learner_mb()
    return {
        "learners": learners, "seconds": seconds, "interval_s": interval, "runs": len(runs),
        "p50_s": round(statistics.median(latencies), 3),
        "p90_s": round(statistics.quantiles(latencies, n=10)[-1], 3) if len(latencies) > 1 else latencies[0],
        "max_s": round(latencies[-1], 3),
        "false_timeouts": sum(run["status"] == "timeout" for run in runs),
        "wrong_verdicts": sum(run["status"] != run["expected"] for run in runs),
        "cold_runs": sum(run["runner"] != "warm" for run in runs),
        "pss_mean_mb": round(statistics.mean(per_learner), 1),
        "pss_max_mb": round(max(per_learner), 1),
    }


def _readline(process: subprocess.Popen[str], timeout: float) -> str:
    """The process's next line of output, or "" after `timeout` seconds."""
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    return box[0] if box else ""


def _stderr(process: subprocess.Popen[str]) -> str:
    if process.poll() is None:
        return "(still running)"
    return (process.stderr.read() if process.stderr else "")[-1000:]


class _MemorySampler(threading.Thread):
    """Every few seconds, the PSS of each learner's process tree; the mean over time, per learner."""

    def __init__(self, pids: list[int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.samples: dict[int, list[float]] = {pid: [] for pid in pids}
        self._finished = threading.Event()

    def run(self) -> None:
        while not self._finished.wait(SAMPLE_EVERY_S):
            for pid in self.pids:
                total = sum(_pss_kb(member) for member in _tree(pid))
                if total:
                    self.samples[pid].append(total / 1024)

    def stop(self) -> None:
        self._finished.set()
        self.join()

    def per_learner_mb(self) -> list[float]:
        return [statistics.mean(values) for values in self.samples.values() if values]


def _sample_memory(pids: list[int]) -> _MemorySampler:
    sampler = _MemorySampler(pids)
    sampler.start()
    return sampler


def _tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    members, queue = [], [pid]
    while queue:
        current = queue.pop()
        members.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                queue.extend(int(child) for child in task.read_text().split())
            except OSError:
                pass
    return members


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
