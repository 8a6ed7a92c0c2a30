"""The warm runner preloads torch._dynamo for exactly the scenarios that need it.

Building a torch.optim optimizer imports torch._dynamo (about 800 modules); the scenarios
marked `builds_optimizer` are those that do, so the warm runner knows when to preload it.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tutor.core.course import load_course
from tutor.core.job import Job
from tutor.sandbox import scenarios  # noqa: F401  (registers every scenario)
from tutor.sandbox.observe import OPTIMIZER_SCENARIOS, SCENARIOS
from tutor.sandbox.warm import builds_optimizer

SETTINGS = {lesson.check.scenario: lesson.check.settings for lesson in load_course().lessons}

PROBE = """
import json, sys
from tutor.sandbox.observe import SCENARIOS, Phases
from tutor.sandbox import scenarios  # registers every scenario
name, settings = sys.argv[1], json.loads(sys.argv[2])
SCENARIOS[name](settings, Phases())
print("torch._dynamo" in sys.modules)
"""


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_a_scenario_is_marked_exactly_when_it_imports_dynamo(name: str) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, name, json.dumps(SETTINGS[name])],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (done.stdout.strip() == "True") == (name in OPTIMIZER_SCENARIOS)


def test_every_scenario_is_used_by_a_lesson() -> None:
    assert set(SETTINGS) == set(SCENARIOS)


def test_the_server_reads_the_job_to_decide() -> None:
    def job(scenario: str) -> Job:
        return Job(lesson="x", target="minigpt.train:train_step", scenario=scenario, memory_mb=2048)

    assert builds_optimizer(job("train_steps"))
    assert not builds_optimizer(job("gradients"))
