"""What the shapes lessons (9 to 11) say about torch, run: messages verbatim, layouts, silent cases."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from minigpt.model import CausalSelfAttention, GPTConfig
from tests.lessons.quoting import assert_symptom_quotes_torch
from tutor.core.course import Course
from tutor.core.results import RunResult
from tutor.core.runner import run_block

SHAPES_LESSONS = ["view-after-transpose", "scores-without-transpose", "cross-entropy-unflattened"]


def run_wrong_fix(course: Course, lesson_id: str, index: int) -> RunResult:
    lesson = course.get(lesson_id)
    return run_block(lesson, lesson.wrong_fixes[index].code)


@pytest.mark.parametrize("lesson_id", SHAPES_LESSONS)
def test_the_symptom_quotes_torchs_message_verbatim_in_both_languages(course: Course, lesson_id: str) -> None:
    assert_symptom_quotes_torch(course.get(lesson_id))


def test_transpose_changes_strides_and_contiguous_restores_them() -> None:
    y = torch.randn(1, 4, 8, 16)  # (B, nh, T, hs), as `att @ v` returns it
    swapped = y.transpose(1, 2)
    assert (y.stride(), swapped.shape, swapped.stride()) == ((512, 128, 16, 1), (1, 8, 4, 16), (512, 16, 128, 1))
    assert not swapped.is_contiguous()
    assert swapped.data_ptr() == y.data_ptr()  # transpose copies nothing
    assert swapped.contiguous().stride() == (512, 64, 16, 1)
    merged = swapped.reshape(1, 8, 64)
    assert merged.data_ptr() != y.data_ptr()  # here reshape has to copy
    assert torch.equal(merged, swapped.contiguous().view(1, 8, 64))


@pytest.mark.parametrize("recording", [True, False])
def test_the_view_fails_in_the_forward_with_or_without_gradients(recording: bool) -> None:
    """Lesson 9: "it happens in the forward, with or without gradients" (no backward, no loss)."""
    with torch.set_grad_enabled(recording):
        y = torch.randn(1, 4, 8, 16, requires_grad=True) @ torch.randn(16, 16)
        with pytest.raises(RuntimeError, match="view size is not compatible with input tensor's size and stride"):
            y.transpose(1, 2).view(1, 8, 64)


def test_view_on_a_fresh_linear_output_is_safe_and_a_wrong_count_is_another_message() -> None:
    q = torch.nn.Linear(64, 64)(torch.randn(1, 8, 64))
    assert q.view(1, 8, 4, 16).data_ptr() == q.data_ptr()
    with pytest.raises(RuntimeError, match=r"shape '\[1, 8, 63\]' is invalid for input of size 512"):
        torch.randn(1, 4, 8, 16).transpose(1, 2).reshape(1, 8, 63)


def test_reshape_with_the_axes_swapped_reaches_c_proj_as_64_rows_of_8(course: Course) -> None:
    diagnosis = run_wrong_fix(course, "view-after-transpose", 2).diagnosis
    assert diagnosis is not None
    assert diagnosis.message == "mat1 and mat2 shapes cannot be multiplied (64x8 and 64x64)"


def test_k_dot_T_warns_reverses_all_axes_and_clashes_on_the_batch(course: Course) -> None:
    assert torch.empty(1, 4, 8, 16).mT.shape == (1, 4, 16, 8)
    with pytest.warns(UserWarning, match=r"The use of `x.T` on tensors of dimension other than 2"):
        assert torch.empty(1, 4, 8, 16).T.shape == (16, 8, 4, 1)
    result = run_wrong_fix(course, "scores-without-transpose", 0)
    assert "The use of `x.T` on tensors of dimension other than 2" in result.stderr
    assert result.diagnosis is not None
    assert result.diagnosis.message == (
        "The size of tensor a (4) must match the size of tensor b (8) at non-singleton dimension 1"
    )


def test_transposing_q_gives_channel_by_channel_scores_the_mask_does_not_fit(course: Course) -> None:
    diagnosis = run_wrong_fix(course, "scores-without-transpose", 1).diagnosis
    assert diagnosis is not None
    assert diagnosis.message == (
        "The size of tensor a (8) must match the size of tensor b (16) at non-singleton dimension 3"
    )


def test_with_T_equal_to_the_head_size_q_at_k_runs_silently_and_is_wrong(course: Course) -> None:
    lesson = course.get("scores-without-transpose")
    config = GPTConfig(vocab_size=59, block_size=16, n_layer=1, n_head=4, n_embd=64)  # T = hs = 16
    torch.manual_seed(0)
    attention = CausalSelfAttention(config)
    x = torch.randn(1, 16, 64)
    namespace = {"torch": torch, "F": F, "math": math, "Tensor": torch.Tensor}
    exec(lesson.code.starter, namespace)
    broken = namespace["forward"](attention, x)  # no exception
    assert broken.shape == (1, 16, 64)
    assert not torch.allclose(broken, attention(x))


def test_cross_entropy_wrong_fixes_fail_with_the_quoted_messages(course: Course) -> None:
    only_logits = run_wrong_fix(course, "cross-entropy-unflattened", 0).diagnosis
    column_targets = run_wrong_fix(course, "cross-entropy-unflattened", 1).diagnosis
    assert only_logits is not None and column_targets is not None
    assert only_logits.exception == "ValueError"
    assert only_logits.message == "Expected input batch_size (32) to match target batch_size (4)."
    assert column_targets.message == "0D or 1D target tensor expected, multi-target not supported"


def test_cross_entropy_over_the_wrong_axis_runs_silently_when_the_sizes_line_up() -> None:
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(4, 8, 8, generator=generator)  # 8 positions and, by chance, 8 classes
    targets = torch.randint(8, (4, 8), generator=generator)
    wrong_axis = F.cross_entropy(logits, targets)  # no error: classes read from dimension 1
    right = F.cross_entropy(logits.view(-1, 8), targets.view(-1))
    assert not torch.allclose(wrong_axis, right)
    assert torch.allclose(F.cross_entropy(logits.transpose(1, 2), targets), right)


def test_q_after_split_is_not_contiguous_yet_its_last_dimension_views_into_heads() -> None:
    """Lesson 9's safe note: the view works because it splits only the stride-1 dimension."""
    config = GPTConfig(block_size=8, vocab_size=59, n_layer=1, n_head=4, n_embd=64)
    attention = CausalSelfAttention(config)
    q, _, _ = attention.c_attn(torch.randn(1, 8, 64)).split(64, dim=2)
    assert not q.is_contiguous() and q.stride() == (1536, 192, 1)
    heads = q.view(1, 8, 4, 16)
    assert heads.stride() == (1536, 192, 16, 1)
