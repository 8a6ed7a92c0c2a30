"""Every lesson's warm run to verdict: its starter and its fix, as a learner presses run.

One warm session for the whole course, as in the tutor. Each lesson's first run (which
also runs its control, and for a lesson that trains imports the optimizers) is left out,
as it is once per session; so is the run after it, which for the first lesson that
trains waits while the warm runner imports the optimizers for every later run, as it does
while a learner reads the first verdict.
"""

from __future__ import annotations

import statistics
import time

from tutor.core.course import Course
from tutor.core.runner import run_block
from tutor.core.warm import RunnerSession

# What a run feels like on a 2-core machine: instant for the first lesson, never a wait.
LESSON_ONE_TARGET_S = 0.1
MEDIAN_TARGET_S = 0.5
SLOWEST_TARGET_S = 1.0


def lesson_figures(course: Course, runs: int) -> list[dict[str, object]]:
    """Per lesson: the median seconds of `runs` starter and `runs` fix runs, and the slowest."""
    figures = []
    with RunnerSession() as session:  # optimizers loaded once a lesson trains, as in the tutor
        if not session.wait_ready():
            raise RuntimeError("the warm runner did not start; nothing to measure")
        for lesson in course.lessons:
            blocks = {"starter": lesson.code.starter, "fix": lesson.code.fix}
            for _ in range(2):  # its control, kept for the session; the runner's one-time imports
                run_block(lesson, lesson.code.fix, session=session)
            seconds: dict[str, list[float]] = {"starter": [], "fix": []}
            for _ in range(runs):
                for name, block in blocks.items():
                    started = time.perf_counter()
                    run_block(lesson, block, session=session)
                    seconds[name].append(time.perf_counter() - started)
            target = LESSON_ONE_TARGET_S if lesson.order == 1 else MEDIAN_TARGET_S
            figures.append({"lesson": lesson.id, "order": lesson.order,
                            "starter_median_s": round(statistics.median(seconds["starter"]), 3),
                            "fix_median_s": round(statistics.median(seconds["fix"]), 3),
                            "slowest_s": round(max(seconds["starter"] + seconds["fix"]), 3),
                            "target_s": target})
    return figures
