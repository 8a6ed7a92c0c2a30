"""`python -m tutor.ui.probe SAVES_DIR LESSON`: the tutor headless, as `bench` measures it.

It prints `mounted` once the first screen is up, opens LESSON, runs its fix through the
app's warm runner, then prints one JSON object: the memory of the session (this process
and its warm runner) and whether torch ever came into this process.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tutor.core.runner import run_block
from tutor.core.settings import Settings
from tutor.ui.app import build_app


def probe(saves_dir: str, lesson_id: str) -> None:
    app = build_app(Settings.resolve(saves_dir=saves_dir, learner="bench"))

    async def session() -> dict[str, object]:
        async with app.run_test(headless=True, size=(120, 40)) as pilot:
            print("mounted", flush=True)
            app.show_lesson(lesson_id)  # as a learner choosing it: the warm runner starts
            await pilot.pause()
            runner = app.runner_session
            if not await asyncio.to_thread(runner.wait_ready):
                raise SystemExit("the warm runner did not start")
            chosen = app.course.get(lesson_id)
            result = await asyncio.to_thread(run_block, chosen, chosen.code.fix, session=runner)  # as the run key does
            if result.evidence.get("runner") != "warm":
                raise SystemExit(f"the run did not go warm: {result.evidence}")
            ui, warm = memory(os.getpid()), memory(runner.server_pid or 0)
            return {
                "session_rss_mb": round(ui["peak_rss_mb"] + warm["peak_rss_mb"], 1),
                "session_pss_mb": round(ui["pss_mb"] + warm["pss_mb"], 1) if ui["pss_mb"] and warm["pss_mb"] else None,
                "ui_rss_mb": ui["peak_rss_mb"],
                "warm_runner_rss_mb": warm["peak_rss_mb"],
                "ui_imports_torch": "torch" in sys.modules,
            }

    print(json.dumps(asyncio.run(session())), flush=True)


def memory(pid: int) -> dict[str, float]:
    """Peak RSS (VmHWM) and, where the kernel has it, PSS of a process, in MB."""
    figures = {"peak_rss_mb": 0.0, "pss_mb": 0.0}
    for name, key, field in (("status", "peak_rss_mb", "VmHWM:"), ("smaps_rollup", "pss_mb", "Pss:")):
        try:
            lines = Path(f"/proc/{pid}/{name}").read_text().splitlines()
        except OSError:
            continue
        for line in lines:
            if line.startswith(field):
                figures[key] = round(int(line.split()[1]) / 1024, 1)
                break
    return figures


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m tutor.ui.probe SAVES_DIR LESSON")
    probe(sys.argv[1], sys.argv[2])
