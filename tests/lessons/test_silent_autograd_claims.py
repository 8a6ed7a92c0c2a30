"""What the silent autograd lessons (32 and 33) say beyond their declared symptoms, run on
real torch: nothing raises, the loss is the control's, and where the gradients part from it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from minigpt import data, model
from tutor.core.course import Course
from tutor.core.lessons import Lesson
from tutor.core.results import RunResult, Status
from tutor.core.runner import RunLimits, run_block
from tutor.core.warm import RunnerSession

# The machine is shared: a generous limit keeps a slow run from reading as a timeout.
PATIENT = RunLimits(timeout_s=120)
ABOVE_THE_ACTIVATION = {"blocks.0.mlp.proj.weight", "blocks.0.mlp.proj.bias", "ln_f.weight", "ln_f.bias",
                        "lm_head.weight"}
BELOW_THE_SCORES = {"tok_emb.weight", "pos_emb.weight", "blocks.0.ln1.weight", "blocks.0.ln1.bias",
                    "blocks.0.attn.c_attn.weight", "blocks.0.attn.c_attn.bias"}


@pytest.fixture(scope="module")
def session() -> Iterator[RunnerSession]:
    with RunnerSession() as warm:
        yield warm


def checked(lesson: Lesson, block: str, session: RunnerSession) -> RunResult:
    return run_block(lesson, block, limits=PATIENT, session=session)


def gradients_with(owner: type, block: str, seed: int) -> tuple[float, dict[str, torch.Tensor]]:
    """The loss and gradients of the lesson's one backward (batch of 1), with `block` in place
    of `owner.forward` (minigpt's own when `block` is empty)."""
    original = owner.forward
    if block:
        namespace = dict(vars(model))
        exec(block, namespace)
        owner.forward = namespace["forward"]
    try:
        tokenizer, corpus = data.encode_corpus()
        gpt = model.build_model(model.GPTConfig.tiny(tokenizer.vocab_size), seed=seed)
        x, y = data.get_batch(corpus, 1, gpt.config.block_size, torch.Generator().manual_seed(seed))
        _, loss = gpt(x, y)
        loss.backward()
    finally:
        owner.forward = original
    return loss.item(), {name: p.grad for name, p in gpt.named_parameters()}


def test_ctx_attribute_raises_nothing_and_only_the_gradients_below_the_activation_differ(
        course: Course, session: RunnerSession) -> None:
    lesson = course.get("ctx-attribute-inplace")
    result = checked(lesson, lesson.code.starter, session)
    assert (result.status, result.diagnosis) == (Status.FAILED, None)
    assert result.evidence["loss"] == result.evidence["control_loss"]  # the same forward numbers
    differ = {c.name for c in result.gradients if not c.matches}
    assert differ == {c.name for c in result.gradients} - ABOVE_THE_ACTIVATION
    assert len(differ) == 12


def test_dropping_the_copy_while_keeping_ctx_x_passes_the_check(course: Course, session: RunnerSession) -> None:
    """The story: it passes, and the next in-place change would be as silent."""
    lesson = course.get("ctx-attribute-inplace")
    block = lesson.code.starter.replace(
        "    h.copy_(HandGelu.apply(h))  # the activation written over its input: one buffer, not two\n"
        "    return self.dropout(self.proj(h))",
        "    return self.dropout(self.proj(HandGelu.apply(h)))")
    assert block != lesson.code.starter and "ctx.x = x" in block
    assert checked(lesson, block, session).status is Status.PASSED


def test_ctx_x_holds_the_activation_when_backward_reads_it() -> None:
    read: list[torch.Tensor] = []

    class Kept(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
            ctx.x = x
            return torch.nn.functional.gelu(x)

        @staticmethod
        def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
            read.append(ctx.x.clone())
            return grad

    h = torch.randn(2, 3, requires_grad=True) * 1.0  # a non-leaf, as fc's output is
    before = h.detach().clone()
    h.copy_(Kept.apply(h))
    assert h._version == 1
    h.sum().backward()
    assert torch.equal(read[0], torch.nn.functional.gelu(before))


@pytest.mark.parametrize("seed", range(5))
def test_the_no_grad_scale_leaves_the_loss_and_makes_query_and_key_gradients_exactly_four_times(
        course: Course, seed: int) -> None:
    lesson = course.get("no-grad-inplace-scale")
    owner = model.CausalSelfAttention
    control_loss, control = gradients_with(owner, "", seed)
    loss, starter = gradients_with(owner, lesson.code.starter, seed)
    assert loss == control_loss
    differ = {name for name in control if not torch.allclose(starter[name], control[name], rtol=1e-5, atol=1e-6)}
    assert differ == BELOW_THE_SCORES  # 6 of 17: c_proj and the value path match
    C = 64  # n_embd: c_attn's rows are the queries', the keys', then the values'
    for name in ("blocks.0.attn.c_attn.weight", "blocks.0.attn.c_attn.bias"):
        assert torch.equal(starter[name][: 2 * C], 4 * control[name][: 2 * C])  # 1 / 0.25, exactly
        assert torch.equal(starter[name][2 * C:], control[name][2 * C:])


def test_the_no_grad_scale_raises_nothing_in_the_sandbox(course: Course, session: RunnerSession) -> None:
    lesson = course.get("no-grad-inplace-scale")
    result = checked(lesson, lesson.code.starter, session)
    assert (result.status, result.diagnosis) == (Status.FAILED, None)
    assert result.evidence["loss"] == result.evidence["control_loss"]
    assert {c.name for c in result.gradients if not c.matches} == BELOW_THE_SCORES


def test_out_of_place_under_no_grad_gives_the_queries_and_keys_no_gradient_at_all(course: Course) -> None:
    lesson = course.get("no-grad-inplace-scale")
    wrong = next(fix.code for fix in lesson.wrong_fixes if "att = att * (1.0" in fix.code)
    _, grads = gradients_with(model.CausalSelfAttention, wrong, seed=0)
    weight = grads["blocks.0.attn.c_attn.weight"]
    assert torch.count_nonzero(weight[:128]) == 0 and torch.count_nonzero(weight[128:]) > 0


def test_a_recorded_in_place_scale_of_the_raw_scores_is_harmless() -> None:
    """Nothing saved the raw scores (the product saves `q` and `k`): `mul_` there raises
    nothing, and backward gives the gradients of the out-of-place product."""
    qk = torch.randn(2, 1, 4, 8, 16)

    def gradient(in_place: bool) -> torch.Tensor:
        leaf = qk.clone().requires_grad_()
        q, k = leaf.unbind(0)
        scores = q @ k.transpose(-2, -1)
        scores = scores.mul_(0.25) if in_place else scores * 0.25
        torch.softmax(scores, dim=-1).pow(2).sum().backward()
        return leaf.grad

    assert torch.equal(gradient(True), gradient(False))
