"""What lesson 34, the silent broadcast in a hand-written loss, says about torch, run: the
shapes, the factor of B*T, and why `.mean()` only looks like a fix."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from minigpt import data, model
from tutor.core.course import Course
from tutor.core.results import Status
from tutor.core.runner import RunLimits, run_block


def backward_with(block: str, seed: int) -> tuple[float, dict[str, torch.Tensor]]:
    """The first loss of the lesson's batch (4 sequences of 8 tokens) with `block` as
    `sequence_loss`, and the gradients its backward gives."""
    namespace = dict(vars(model))
    exec(block, namespace)
    tokenizer, corpus = data.encode_corpus()
    gpt = model.build_model(model.GPTConfig.tiny(tokenizer.vocab_size), seed=seed)
    x, y = data.get_batch(corpus, 4, gpt.config.block_size, torch.Generator().manual_seed(seed))
    logits, _ = gpt(x)
    loss = namespace["sequence_loss"](logits, y)
    loss.backward()
    return loss.item(), {name: p.grad for name, p in gpt.named_parameters()}


def test_the_starter_raises_nothing_and_shows_the_shape_that_appeared(course: Course) -> None:
    lesson = course.get("broadcast-token-loss")
    result = run_block(lesson, lesson.code.starter, limits=RunLimits(timeout_s=120))
    assert (result.status, result.diagnosis) == (Status.FAILED, None)
    assert result.evidence["broadcasts"] == ["[32, 1], [32] -> [32, 32]"]
    assert result.evidence["control_broadcasts"] == []  # the model's own forward broadcasts nothing larger
    assert all(not comparison.matches for comparison in result.gradients)  # every gradient, 32 times


@pytest.mark.parametrize("seed", range(5))
def test_the_first_loss_and_every_gradient_are_thirty_two_times_the_controls(course: Course, seed: int) -> None:
    lesson = course.get("broadcast-token-loss")
    (control, right), (starter, wrong) = backward_with(lesson.code.fix, seed), backward_with(lesson.code.starter, seed)
    assert abs(control - math.log(59)) < 0.1  # ln 59 ≈ 4.08
    assert 125 < starter < 135  # "about 130"
    assert starter == pytest.approx(32 * control, rel=1e-4)
    for name, gradient in right.items():  # "and so is every gradient"
        assert torch.allclose(wrong[name], 32 * gradient, rtol=1e-4, atol=1e-6), name


def test_gather_keeps_the_dimension_it_gathers_along() -> None:
    logp = torch.randn(32, 59).log_softmax(dim=-1)
    picked = logp.gather(1, torch.randint(59, (32, 1)))
    assert picked.shape == (32, 1)
    assert (picked * torch.ones(32)).shape == (32, 32)
    assert (picked * torch.ones(32, 1)).shape == (32, 1)


def test_a_mask_shaped_like_the_targets_stops_with_torchs_message(course: Course) -> None:
    nll, keep = torch.randn(32, 1), torch.ones(4, 8)
    message = "The size of tensor a (32) must match the size of tensor b (4) at non-singleton dimension 0"
    with pytest.raises(RuntimeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        nll * keep
    assert any(message in fix.why.get("en") and message in fix.why.get("es")
               for fix in course.get("broadcast-token-loss").wrong_fixes)


def test_the_mean_of_the_matrix_is_right_only_while_no_token_is_masked() -> None:
    nll = torch.rand(32, 1) * 5
    keep = torch.ones(32)
    assert torch.allclose((nll * keep).mean(), nll.mean())  # right by luck
    keep[0] = 0.0  # one padded target
    masked_mean = (nll.squeeze(1) * keep).sum() / keep.sum()
    assert not torch.allclose((nll * keep).mean(), masked_mean)


def test_cross_entropy_without_reduction_gives_one_loss_per_token_and_zero_for_an_ignored_one() -> None:
    logits, targets = torch.randn(6, 59), torch.tensor([1, 2, -100, 4, 5, 6])
    per_token = F.cross_entropy(logits, targets, reduction="none")
    assert per_token.shape == (6,) and per_token[2] == 0
    assert torch.allclose(per_token[targets != -100].mean(), F.cross_entropy(logits, targets))
