"""What the silent attention lessons (14 and 15) say about torch, run: the floor, the leak, the rows."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from minigpt.model import CausalSelfAttention, GPTConfig
from tutor.core.course import Course
from tutor.core.results import Status
from tutor.core.runner import RunLimits, run_block
from tutor.core.validate import varied

SILENT_LESSONS = ["missing-causal-mask", "softmax-wrong-dim"]
FUTURE = torch.triu(torch.ones(8, 8, dtype=torch.bool), diagonal=1)  # (T, T): key j after query i


def masked_scores(seed: int = 0) -> torch.Tensor:
    scores = torch.randn(8, 8, generator=torch.Generator().manual_seed(seed))  # (T, T)
    return scores.masked_fill(FUTURE, float("-inf"))


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("lesson_id", SILENT_LESSONS)
def test_the_starter_raises_nothing_and_beats_the_honest_floor_of_random_tokens(course: Course, lesson_id: str,
                                                                                  seed: int) -> None:
    lesson = varied(course.get(lesson_id), seed, 1)
    result = run_block(lesson, lesson.code.starter, limits=RunLimits(timeout_s=120))
    floor = math.log(lesson.check.settings["vocab_size"])  # ln 8 ≈ 2.08
    assert (result.status, result.diagnosis) == (Status.FAILED, None)
    assert abs(result.evidence["control_final_loss"] - floor) < 0.05  # the control stays at the floor
    assert result.evidence["final_loss"] < floor  # both lessons: below the floor
    if lesson_id == "missing-causal-mask":  # "about 0.3": far below
        assert result.evidence["final_loss"] < 0.25 * result.evidence["control_final_loss"]
    assert result.evidence["causal_leak"] is True and result.evidence["control_causal_leak"] is False


def test_the_mask_gives_the_future_a_weight_of_exactly_zero() -> None:
    weights = F.softmax(masked_scores(), dim=-1)
    assert torch.all(weights[FUTURE] == 0)
    assert torch.allclose(weights.sum(dim=-1), torch.ones(8))


def test_masked_fill_without_assignment_leaves_the_scores_as_they_were() -> None:
    scores = torch.randn(8, 8)
    before = scores.clone()
    scores.masked_fill(FUTURE, float("-inf"))
    assert torch.equal(scores, before)


def test_filling_with_zero_still_gives_every_future_position_a_share() -> None:
    scores = torch.randn(8, 8).masked_fill(FUTURE, 0.0)
    assert torch.all(F.softmax(scores, dim=-1)[FUTURE] > 0)


def test_a_softmax_after_the_fact_still_has_the_future_in_its_normaliser() -> None:
    scores = torch.randn(8, 8)
    later = scores.clone()
    later[0, 7] += 1.0  # only the score of query 0 against the last key changes
    weights, moved = (F.softmax(s, dim=-1).masked_fill(FUTURE, 0.0) for s in (scores, later))
    assert not torch.allclose(weights[0, 0], moved[0, 0])  # position 0's own weight moved
    assert not torch.allclose(weights.sum(dim=-1), torch.ones(8))


def test_a_column_softmax_normalises_columns_and_leaks_through_the_denominator() -> None:
    columns = F.softmax(masked_scores(), dim=-2)
    assert torch.allclose(columns.sum(dim=-2), torch.ones(8))  # every column has its diagonal entry
    assert not torch.allclose(columns.sum(dim=-1), torch.ones(8))
    assert torch.count_nonzero(columns[0]) == 1  # row 0 holds a single weight...
    assert columns[0, 0] < 1  # ...divided by a sum over all 8 queries
    later = masked_scores()
    later[7, 0] += 1.0  # only the last query's score against key 0 changes
    assert not torch.allclose(F.softmax(later, dim=-2)[0, 0], columns[0, 0])


def test_transposing_the_column_softmax_sums_rows_to_one_and_reads_only_the_future() -> None:
    transposed = F.softmax(masked_scores(), dim=-2).transpose(-2, -1)
    assert torch.allclose(transposed.sum(dim=-1), torch.ones(8))
    assert torch.all(transposed[~FUTURE & ~torch.eye(8, dtype=torch.bool)] == 0)  # nothing from the past


def test_dim_2_is_dim_minus_2_on_the_4d_scores() -> None:
    scores = torch.randn(1, 4, 8, 8)  # (B, nh, T, T)
    assert torch.equal(F.softmax(scores, dim=2), F.softmax(scores, dim=-2))


def test_the_models_mask_is_a_lower_triangle_of_ones_and_sdpa_applies_the_same() -> None:
    attention = CausalSelfAttention(GPTConfig.tiny(8))
    assert attention.mask.shape == (1, 1, 8, 8)
    assert torch.equal(attention.mask[0, 0], torch.tril(torch.ones(8, 8)))
    q, k, v = torch.randn(3, 1, 4, 8, 16).unbind(0)  # (B, nh, T, hs) each
    scores = (q @ k.transpose(-2, -1) / math.sqrt(16)).masked_fill(FUTURE, float("-inf"))
    by_hand = F.softmax(scores, dim=-1) @ v
    assert torch.allclose(F.scaled_dot_product_attention(q, k, v, is_causal=True), by_hand, atol=1e-6)
