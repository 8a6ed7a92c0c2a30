"""What the training lessons (16, 17) and the training scenarios claim, run on real torch."""

from __future__ import annotations

import math

import pytest
import torch

from tutor.core.lessons import Lesson
from tutor.core.results import RunResult
from tutor.core.runner import RunLimits, run_block
from tutor.core.validate import varied

PATIENT = RunLimits(timeout_s=120)  # a shared machine: slow is not broken


def run(lesson: Lesson, block: str) -> RunResult:
    return run_block(lesson, block, limits=PATIENT)


@pytest.fixture(scope="module", params=range(5), ids=lambda seed: f"seed {seed}")
def piled_up(course, request) -> RunResult:
    """The forgotten-zero_grad starter at seeds 0 to 4, each run once for the tests below."""
    lesson = varied(course.get("forgotten-zero-grad"), request.param, 1)
    return run(lesson, lesson.code.starter)


def test_the_loss_ends_past_100000_or_not_a_number(piled_up) -> None:
    last = piled_up.evidence["losses"][-1]
    assert last is None or last > 100_000  # "past 100,000 ... sometimes inf or nan"
    assert piled_up.evidence["diverged"] is True


def test_the_control_survives_the_same_learning_rate(piled_up) -> None:
    control = piled_up.evidence["control_losses"]
    assert all(loss is not None and math.isfinite(loss) for loss in control)
    assert control[-1] < control[0] and 2 < control[-1] < 4  # "after 40 steps ... about 3 (2 to 4)"
    assert piled_up.evidence["control_diverged"] is False


def test_backward_adds_to_grad_exactly() -> None:
    weight = torch.nn.Parameter(torch.tensor([0.3, -1.2, 2.5]))
    (weight.sin().sum()).backward()
    first = weight.grad.clone()
    (weight.sin().sum()).backward()
    assert torch.equal(weight.grad, 2 * first)


def test_rebinding_leaves_the_loss_at_its_untrained_value(course) -> None:
    lesson = course.get("rebind-parameter")
    evidence = run(lesson, lesson.code.starter).evidence
    losses = evidence["losses"]
    assert max(losses) - min(losses) < 0.15  # it only wanders with the batches
    assert abs(evidence["final_loss"] - math.log(59)) < 0.05
    assert (len(evidence["frozen"]), evidence["control_frozen"]) == (17, [])


def test_a_rebound_name_does_not_change_the_tensor_it_named() -> None:
    model = torch.nn.Linear(2, 2)
    before = model.weight.detach().clone()
    with torch.no_grad():
        p = model.weight
        p = p - 1.0
    assert torch.equal(model.weight, before) and not torch.equal(p, before)


@pytest.mark.parametrize("lesson_id", ["data-residual", "no-grad-forward", "rebind-parameter"])
def test_training_evidence_holds_both_loss_curves_for_the_comparison_view(course, lesson_id: str) -> None:
    lesson = course.get(lesson_id)
    evidence = run(lesson, lesson.code.fix).evidence
    steps = lesson.check.settings["steps"]
    assert len(evidence["losses"]) == len(evidence["control_losses"]) == steps
    assert evidence["losses"] == evidence["control_losses"]  # a fix trains exactly like the control
    assert evidence["moved"] == evidence["control_moved"] == 17
