"""What the data lessons claim, run on real torch: targets not shifted by one teach the model
to copy its input, a loss too good to be true that the leak probe does not explain."""

from __future__ import annotations

import math

import pytest
import torch

from minigpt.data import get_batch
from tutor.core.course import Course
from tutor.core.results import RunResult, Status
from tutor.core.runner import RunLimits, run_block
from tutor.core.validate import varied

PATIENT = RunLimits(timeout_s=120)  # a shared machine: slow is not broken
NOT_SHIFTED = "targets-not-shifted"


@pytest.fixture(scope="module", params=range(5), ids=lambda seed: f"seed {seed}")
def copied(course: Course, request: pytest.FixtureRequest) -> RunResult:
    """The unshifted starter at seeds 0 to 4, each run once for the tests below."""
    lesson = varied(course.get(NOT_SHIFTED), request.param, 1)
    return run_block(lesson, lesson.code.starter, limits=PATIENT)


def test_nothing_raises_and_the_check_still_fails_it(copied: RunResult) -> None:
    assert (copied.status, copied.diagnosis) == (Status.FAILED, None)
    assert any(not comparison.matches for comparison in copied.gradients)


def test_the_held_out_loss_is_zero_against_the_controls_floor(copied: RunResult) -> None:
    floor = math.log(8)  # ln 8 ≈ 2.08: random tokens from a vocabulary of 8
    assert copied.evidence["final_loss"] == 0.0  # "`0.0` to two places"
    assert 2.06 <= copied.evidence["control_final_loss"] <= 2.13  # "2.06 to 2.13"
    assert abs(copied.evidence["control_final_loss"] - floor) < 0.05


def test_the_leak_probe_finds_no_leak_here_as_in_the_control(copied: RunResult) -> None:
    assert copied.evidence["causal_leak"] is False and copied.evidence["control_causal_leak"] is False


def test_shifting_the_wrong_way_still_falls_to_about_a_third(course: Course) -> None:
    lesson = course.get(NOT_SHIFTED)
    wrong_way = run_block(lesson, lesson.wrong_fixes[0].code, limits=PATIENT)
    assert (wrong_way.status, wrong_way.diagnosis) == (Status.FAILED, None)
    assert 0.2 <= wrong_way.evidence["final_loss"] <= 0.5  # "about 0.3: 0.2 to 0.5"


def test_the_unshifted_target_is_the_input_and_the_shifted_one_is_the_next_token() -> None:
    data = torch.arange(100)
    x, y = get_batch(data, 4, 8, torch.Generator().manual_seed(0))
    assert torch.equal(y[:, :-1], x[:, 1:])  # the ladder's check on one batch
    unshifted = torch.stack([data[i : i + 8] for i in x[:, 0]])
    assert torch.equal(unshifted, x)


def test_roll_wraps_the_windows_first_token_round_to_the_last_target() -> None:
    data = torch.arange(100)
    x, y = get_batch(data, 4, 8, torch.Generator().manual_seed(0))
    rolled = torch.roll(x, -1, dims=1)
    assert torch.equal(rolled[:, :-1], y[:, :-1])
    assert torch.equal(rolled[:, -1], x[:, 0]) and not torch.equal(rolled[:, -1], y[:, -1])


def test_slices_of_one_window_are_not_one_block_and_the_models_loss_refuses_them() -> None:
    """Why the split-window alternative calls `.contiguous()`."""
    windows = torch.arange(36).view(4, 9)  # (B, T + 1)
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        windows[:, 1:].view(-1)
    assert torch.equal(windows[:, 1:].contiguous().view(-1), windows[:, 1:].reshape(-1))
