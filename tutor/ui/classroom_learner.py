"""`python -m tutor.ui.classroom_learner SAVES NAME SECONDS INTERVAL GO`: one learner of `bench --classroom`.

The tutor headless on the in-place lesson, with its own save and warm runner. It prints
`ready` once its warm runner is, waits for the file GO, then for SECONDS presses the run
key every INTERVAL seconds on average (jittered), the starter and the fix in turn, and
prints one JSON line per run: seconds from the key to the verdict on screen, the
verdict, the one the block should get, and the runner that ran it.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from pathlib import Path

from tutor.core.settings import Settings
from tutor.ui.app import build_app
from tutor.ui.widgets.editor import BlockEditor

LESSON = "inplace-residual"


def learner(saves: str, name: str, seconds: float, interval: float, go: Path) -> None:
    app = build_app(Settings.resolve(saves_dir=saves, learner=name, language="en"), LESSON)
    lesson = app.course.get(LESSON)
    blocks = [(lesson.code.starter, "failed"), (lesson.code.fix, "passed")]
    jitter = random.Random(name)

    async def session() -> None:
        async with app.run_test(headless=True, size=(120, 40)) as pilot:
            await pilot.pause()
            if not await asyncio.to_thread(app.runner_session.wait_ready):
                raise SystemExit("the warm runner did not start")
            print("ready", flush=True)
            while not go.exists():
                await asyncio.sleep(0.05)
            await asyncio.sleep(jitter.uniform(0, interval))  # learners do not start in step
            deadline = time.monotonic() + seconds
            n = 0
            while time.monotonic() < deadline:
                block, expected = blocks[n % 2]
                app.screen.query_one(BlockEditor).load_text(block)
                before = app.screen.latest  # type: ignore[attr-defined]
                started = time.monotonic()
                await pilot.press("r")
                await pilot.pause()
                await app.workers.wait_for_complete()
                await pilot.pause()  # the verdict reaches the screen
                latency = time.monotonic() - started
                result = app.screen.latest  # type: ignore[attr-defined]
                if result is before:
                    raise SystemExit("a run ended without a verdict")
                print(json.dumps({"latency_s": round(latency, 4), "status": result.status.value, "expected": expected,
                                  "runner": result.evidence.get("runner")}), flush=True)
                n += 1
                await asyncio.sleep(max(0.0, jitter.uniform(0.5, 1.5) * interval - latency))
            await pilot.press("q")

    asyncio.run(session())


if __name__ == "__main__":
    saves_dir, learner_name, duration, every, go_file = sys.argv[1:6]
    learner(saves_dir, learner_name, float(duration), float(every), Path(go_file))
