"""What the optimiser lessons (24 to 27) claim beyond `validate`, run on real torch.

The held-out losses and ratios their texts quote are bounds in the lessons' own `expect`,
so `validate` proves them at every seed, thread count and kernel; here, the rest."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
import torch
import torch.nn as nn

from minigpt import data, model, train
from minigpt.model import GPTConfig
from tutor.core.results import Status
from tutor.core.runner import RunLimits, run_block
from tutor.core.warm import RunnerSession

# Lesson 24: clipping before backward().

def test_a_clip_after_zero_grad_finds_nothing_returns_0_and_warns_of_nothing() -> None:
    gpt = model.build_model(GPTConfig.tiny(65), seed=0)
    optimizer = torch.optim.SGD(gpt.parameters(), lr=2.0)
    optimizer.zero_grad(set_to_none=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "not even a warning"
        norm = nn.utils.clip_grad_norm_(gpt.parameters(), 1.0)
    assert norm.item() == 0.0
    assert all(p.grad is None for p in gpt.parameters())


def test_clamping_the_loss_above_1_gives_every_gradient_0() -> None:
    tokenizer, corpus = data.encode_corpus()
    gpt = model.build_model(GPTConfig.tiny(tokenizer.vocab_size), seed=0)
    x, y = data.get_batch(corpus, 4, 8, torch.Generator().manual_seed(0))
    _, loss = gpt(x, y)
    loss.clamp(max=1.0).backward()
    assert all(torch.count_nonzero(p.grad) == 0 for p in gpt.parameters())


# Lesson 25: scheduler.step() before optimizer.step().

WARNING = "Detected call of `lr_scheduler.step()` before `optimizer.step()`."


def test_torch_warns_only_once_and_the_first_step_runs_at_the_second_rate() -> None:
    weight = nn.Parameter(torch.ones(2))
    optimizer = torch.optim.SGD([weight], lr=0.5)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 10))
    assert optimizer.param_groups[0]["lr"] == 0.05  # the schedule's first value, set when it is built
    used = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(5):
            weight.sum().backward()
            scheduler.step()
            used.append(optimizer.param_groups[0]["lr"])
            optimizer.step()
    assert len(caught) == 1 and caught[0].category is UserWarning  # "printed once"
    assert str(caught[0].message).startswith(WARNING)
    assert "skipping the first value of the learning rate schedule" in str(caught[0].message)
    assert used == pytest.approx([0.1, 0.15, 0.2, 0.25, 0.3])


# Lesson 26: a new layer after the optimizer.

def test_the_new_weight_requires_grad_has_a_gradient_and_is_not_in_the_optimizer() -> None:
    tokenizer, corpus = data.encode_corpus()
    gpt = model.build_model(GPTConfig.tiny(tokenizer.vocab_size), seed=0)
    optimizer = gpt.configure_optimizers(weight_decay=0.1, learning_rate=1e-2, betas=(0.9, 0.95))
    gpt.lm_head = nn.Linear(gpt.config.n_embd, gpt.config.vocab_size, bias=False)
    x, y = data.get_batch(corpus, 4, 8, torch.Generator().manual_seed(0))
    gpt(x, y)[1].backward()
    assert gpt.lm_head.weight.requires_grad and gpt.lm_head.weight.grad is not None
    assert not any(p is gpt.lm_head.weight for g in optimizer.param_groups for p in g["params"])
    before = gpt.lm_head.weight.detach().clone()
    optimizer.step()
    assert torch.equal(gpt.lm_head.weight, before)



def test_adding_every_parameter_to_the_old_optimizer_is_refused() -> None:
    """Lesson 26's wrong fix: "`add_param_group` refuses"."""
    gpt = model.build_model(GPTConfig.tiny(65), seed=0)
    optimizer = gpt.configure_optimizers(weight_decay=0.1, learning_rate=1e-2, betas=(0.9, 0.95))
    gpt.lm_head = nn.Linear(gpt.config.n_embd, gpt.config.vocab_size, bias=False)
    with pytest.raises(ValueError, match="some parameters appear in more than one parameter group"):
        optimizer.add_param_group({"params": gpt.parameters()})

# Lesson 27: accumulation without dividing.

# All four: silent, and failed by the check with the evidence their stories name.

@pytest.fixture(scope="module")
def session() -> Iterator[RunnerSession]:
    with RunnerSession(optimizers=True) as warm:
        yield warm


@pytest.mark.parametrize(("lesson_id", "evidence"), [
    ("clip-before-backward", "step_gradient_norm"),
    ("scheduler-before-step", "first_learning_rate"),
    ("new-head-after-optimizer", "frozen"),
    ("accumulation-undivided", "accumulation_ratio"),
])
def test_nothing_raises_and_the_check_fails_it_with_its_evidence(course, lesson_id: str, evidence: str,
                                                                 session: RunnerSession) -> None:
    lesson = course.get(lesson_id)
    result = run_block(lesson, lesson.code.starter, limits=RunLimits(timeout_s=120), session=session)
    assert result.status is Status.FAILED and result.diagnosis is None
    assert result.evidence[evidence] != result.evidence[f"control_{evidence}"]
    assert not all(comparison.matches for comparison in result.gradients)
    if lesson_id == "scheduler-before-step":  # torch's own words, in the evidence
        assert result.evidence["warning"].startswith(WARNING)
        assert "skipping the first value of the learning rate schedule" in result.evidence["warning"]
    if lesson_id == "accumulation-undivided":  # "the loss the step returns is right"
        assert result.evidence["losses"][0] == result.evidence["control_losses"][0]


def test_a_step_that_trains_the_whole_batch_at_once_is_the_controls_accumulation() -> None:
    """The mechanism: the mean of the micro-batch means is the whole batch's mean, so the
    divided accumulation gives one backward's gradient."""
    tokenizer, corpus = data.encode_corpus()
    x, y = data.get_batch(corpus, 8, 8, torch.Generator().manual_seed(0))
    whole = model.build_model(GPTConfig.tiny(tokenizer.vocab_size), seed=0)
    whole(x, y)[1].backward()
    accumulated = model.build_model(GPTConfig.tiny(tokenizer.vocab_size), seed=0)
    train.accumulated_train_step(accumulated, torch.optim.SGD(accumulated.parameters(), lr=0.0), x, y, 4)
    for a, b in zip(whole.parameters(), accumulated.parameters()):
        assert torch.allclose(a.grad, b.grad, rtol=1e-4, atol=1e-7)
