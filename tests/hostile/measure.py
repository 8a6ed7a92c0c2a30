"""Time every hostile block through `minigpt-tutor check` (cold) and the warm runner.

    python tests/hostile/measure.py

Prints a Markdown table: the status `check --json` answers, its exit code, the seconds
from launch to verdict, and the same through a warm session. Durations live here and in
the README, never in assertions.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from hostile_blocks import CASES  # noqa: E402

from tutor.core.course import load_course  # noqa: E402
from tutor.core.runner import RunLimits, run_block  # noqa: E402
from tutor.core.warm import RunnerSession  # noqa: E402


def main() -> None:
    lesson = load_course().get("inplace-residual")
    rows = ["| hostile block | `check` status (exit code) | what the learner reads | cold, s | warm, s |",
            "|---|---|---|---|---|"]
    with RunnerSession() as session, tempfile.TemporaryDirectory() as folder:
        session.wait_ready()
        for index, case in enumerate(CASES):
            block_file = Path(folder) / f"block{index}.py"
            block = case.block(lesson, Path(folder) / f"pids{index}")
            block_file.write_bytes(block.encode() if isinstance(block, str) else block)
            started = time.perf_counter()
            done = subprocess.run(["minigpt-tutor", "check", lesson.id, str(block_file), "--json",
                                   "--timeout", f"{case.timeout_s:g}"], capture_output=True, text=True)
            cold_s = time.perf_counter() - started
            status = json.loads(done.stdout)["status"]
            started = time.perf_counter()
            warm = run_block(lesson, block, limits=RunLimits(timeout_s=case.timeout_s), session=session)
            warm_s = time.perf_counter() - started
            message = json.loads(done.stdout)["message"].replace("|", "\\|")
            shown = message if len(message) <= 110 else message[:107] + "..."
            agree = "" if warm.status.value == status else f" (warm: {warm.status.value})"
            rows.append(f"| {case.name} (timeout {case.timeout_s:g} s) | {status} ({done.returncode}){agree} | {shown} "
                        f"| {cold_s:.2f} | {warm_s:.2f} |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
