"""What the mixed-precision lessons claim beyond `validate`, run on real torch."""

from __future__ import annotations

import math

import pytest
import torch

from minigpt import data, model
from minigpt.model import GPTConfig
from tutor.core.lessons import Lesson
from tutor.core.results import DiagnosisKind, RunResult, Status
from tutor.core.runner import RunLimits, run_block
from tutor.core.validate import varied

PATIENT = RunLimits(timeout_s=120)  # a shared machine: slow is not broken
SEEDS = range(5)


def run(lesson: Lesson, block: str) -> RunResult:
    return run_block(lesson, block, limits=PATIENT)


def with_settings(lesson: Lesson, **settings: object) -> Lesson:
    check = lesson.check.model_copy(update={"settings": {**lesson.check.settings, **settings}})
    return lesson.model_copy(update={"check": check})


def scores(autocast: torch.dtype | None) -> torch.Tensor:
    """The attention scores `q @ k^T` of the lesson model's first block, under `autocast` if any."""
    tokenizer, corpus = data.encode_corpus()
    gpt = model.build_model(GPTConfig.tiny(tokenizer.vocab_size), seed=0)
    x, _ = data.get_batch(corpus, 2, 8, torch.Generator().manual_seed(0))
    attention = gpt.blocks[0].attn
    with torch.autocast("cpu", dtype=autocast or torch.float32, enabled=autocast is not None):
        h = gpt.blocks[0].ln1(gpt.tok_emb(x) + gpt.pos_emb(torch.arange(8)))
        q, k, _ = attention.c_attn(h).split(attention.n_embd, dim=2)
        return q @ k.transpose(-2, -1)


# Lesson 19: a mask's -1e9 under float16 autocast.

def test_float16_autocast_makes_the_scores_float16_though_the_parameters_are_float32() -> None:
    assert scores(torch.float16).dtype == torch.float16
    assert scores(None).dtype == torch.float32


def test_the_ranges_the_story_quotes() -> None:
    assert torch.finfo(torch.float16).max == 65504
    assert torch.finfo(torch.bfloat16).max > 3.3e38  # float32's range: "up to about 3.4e38"
    assert torch.tensor(1e-8, dtype=torch.float16).item() == 0  # "nothing below about 6e-8 but 0"
    assert torch.tensor(6e-8, dtype=torch.float16).item() > 0
    assert torch.tensor(float("-inf"), dtype=torch.float16).item() == -math.inf  # float16 holds -inf exactly


def test_minus_1e9_fits_bfloat16_scores_and_overflows_float16_ones() -> None:
    future = torch.ones(8, 8).triu(1).bool()
    scores(torch.bfloat16).masked_fill(future, -1e9)  # no error
    with pytest.raises(RuntimeError, match="value cannot be converted to type c10::Half without overflow"):
        scores(torch.float16).masked_fill(future, -1e9)


def test_softmax_gives_minus_1e4_and_minus_inf_a_weight_of_exactly_0_in_float16() -> None:
    for fill in (-1e4, float("-inf"), torch.finfo(torch.float16).min):
        row = torch.tensor([0.5, -0.25, fill], dtype=torch.float16)
        assert torch.softmax(row, dim=-1)[-1].item() == 0


@pytest.mark.parametrize("seed", SEEDS)
def test_the_starter_passes_under_bfloat16_autocast_and_without_autocast(course, seed: int) -> None:
    """"only float16 breaks": the same -1e9 gives the control's gradients in bfloat16 and float32."""
    lesson = varied(course.get("mask-overflow-half"), seed, 1)
    for autocast in ("bfloat16", None):
        result = run(with_settings(lesson, autocast=autocast), lesson.code.starter)
        assert result.status is Status.PASSED, (autocast, result.message)


def test_the_error_points_at_the_masked_fill_line(course) -> None:
    lesson = course.get("mask-overflow-half")
    result = run(lesson, lesson.code.starter)
    assert result.diagnosis is not None and result.diagnosis.kind is DiagnosisKind.VALUE_OVERFLOW
    lines = lesson.code.starter.strip("\n").splitlines()
    assert "masked_fill" in lines[result.diagnosis.line - 1] and "-1e9" in lines[result.diagnosis.line - 1]


@pytest.mark.parametrize("seed", SEEDS)
def test_filling_with_0_raises_nothing_and_still_fails(course, seed: int) -> None:
    lesson = varied(course.get("mask-overflow-half"), seed, 1)
    result = run(lesson, lesson.wrong_fixes[0].code)
    assert result.status is Status.FAILED and result.diagnosis is None  # silent
    assert sum(not comparison.matches for comparison in result.gradients) >= 10


def test_the_second_shape_runs_under_the_lessons_autocast(course) -> None:
    """A fill that overflows only when T is below the block size: in float32 it would pass;
    under the lesson's float16 it raises at 3 sequences of 5 tokens, and the verdict says so."""
    lesson = course.get("mask-overflow-half")
    block = lesson.code.fix.replace('float("-inf")', 'float("-inf") if T == 8 else -1e9')
    assert block != lesson.code.fix
    result = run(lesson, block)
    assert result.status is Status.FAILED
    assert "3 sequences of 5 tokens" in result.message and "raised" in result.message
    assert run(with_settings(lesson, autocast=None), block).status is Status.PASSED


# Lesson 20: clipping before `scaler.unscale_`.

@pytest.fixture(scope="module", params=SEEDS, ids=lambda seed: f"seed {seed}")
def clipped_early(course, request) -> RunResult:
    """The clip-before-unscale starter at seeds 0 to 4, each run once for the tests below."""
    lesson = varied(course.get("clip-before-unscale"), request.param, 1)
    return run(lesson, lesson.code.starter)


def test_nothing_raises_and_the_check_still_fails_it(clipped_early) -> None:
    assert clipped_early.status is Status.FAILED and clipped_early.diagnosis is None
    assert not any(comparison.matches for comparison in clipped_early.gradients)


def test_the_step_applies_exactly_one_over_the_scale(clipped_early) -> None:
    assert clipped_early.evidence["step_gradient_norm"] == float(f"{1 / 65536:.4g}") == 1.526e-05
    assert clipped_early.evidence["control_step_gradient_norm"] == 1.0


def test_the_held_out_loss_stays_where_an_untrained_model_starts(clipped_early) -> None:
    """The ranges the story quotes are bounds in the lesson's `expect`; here, what 4.1 is."""
    assert abs(clipped_early.evidence["final_loss"] - math.log(59)) < 0.15  # ln 59 ≈ 4.08


def test_the_forward_is_the_controls_to_the_bit(clipped_early) -> None:
    assert clipped_early.evidence["losses"][0] == clipped_early.evidence["control_losses"][0]


def test_a_fresh_scaler_starts_at_65536() -> None:
    assert torch.amp.GradScaler("cpu").get_scale() == 65536.0


@pytest.mark.parametrize("seed", SEEDS)
def test_the_clip_measures_about_200000_on_the_scaled_gradients(seed: int) -> None:
    """"their norm is about 65536 times the true one (about 200,000)"."""
    tokenizer, corpus = data.encode_corpus()
    gpt = model.build_model(GPTConfig.tiny(tokenizer.vocab_size), seed=seed)
    optimizer = torch.optim.SGD(gpt.parameters(), lr=0.5)
    scaler = torch.amp.GradScaler("cpu")
    x, y = data.get_batch(corpus, 4, 8, torch.Generator().manual_seed(seed))
    with torch.autocast("cpu", dtype=torch.float16):
        _, loss = gpt(x, y)
    scaler.scale(loss).backward()
    scaled = torch.nn.utils.clip_grad_norm_(gpt.parameters(), math.inf).item()
    scaler.unscale_(optimizer)
    true = torch.nn.utils.clip_grad_norm_(gpt.parameters(), math.inf).item()
    assert 150_000 < scaled < 300_000
    assert scaled / true == pytest.approx(65536, rel=1e-3)


def test_scaler_step_unscales_by_itself_unless_unscale_was_called() -> None:
    """The story's "`scaler.step` does not divide again" and "unscales by itself"."""
    def one_step(call_unscale: bool) -> torch.Tensor:
        weight = torch.nn.Parameter(torch.tensor([1.0, -2.0]))
        optimizer = torch.optim.SGD([weight], lr=0.1)
        scaler = torch.amp.GradScaler("cpu")
        scaler.scale((weight * torch.tensor([3.0, 4.0])).sum()).backward()
        if call_unscale:
            scaler.unscale_(optimizer)
        scaler.step(optimizer)
        return weight.detach()

    expected = torch.tensor([1.0 - 0.3, -2.0 - 0.4])
    assert torch.allclose(one_step(True), expected) and torch.allclose(one_step(False), expected)


def test_under_bfloat16_with_no_scaler_the_clip_reads_the_true_gradients() -> None:
    """Lesson 20's safe note: bfloat16 has float32's range, so nothing is scaled and the clip
    measures the same norm as in float32 (to bfloat16's precision)."""
    tokenizer, corpus = data.encode_corpus()
    x, y = data.get_batch(corpus, 4, 8, torch.Generator().manual_seed(0))
    norms = []
    for dtype in (torch.bfloat16, None):
        gpt = model.build_model(GPTConfig.tiny(tokenizer.vocab_size), seed=0)
        with torch.autocast("cpu", dtype=dtype or torch.float32, enabled=dtype is not None):
            _, loss = gpt(x, y)
        loss.backward()
        assert all(p.grad.dtype == torch.float32 for p in gpt.parameters())  # stored as the parameters are
        norms.append(torch.nn.utils.clip_grad_norm_(gpt.parameters(), 1.0).item())
    assert norms[1] > 1.0 and abs(norms[0] / norms[1] - 1) < 0.05


def test_the_second_shape_takes_one_mixed_precision_step(course) -> None:
    """`amp_train_step` has a shape of its own: one step at 3 sequences of 5 tokens, compared."""
    lesson = course.get("clip-before-unscale")
    fixed = run(lesson, lesson.code.fix)
    assert fixed.status is Status.PASSED
    assert fixed.evidence.get("step_gradient_norm") == 1.0
    # right at the lesson's own batch size only: the second shape's step sees a different batch
    block = lesson.code.fix.replace("scaler.unscale_(optimizer)\n",
                                    "scaler.unscale_(optimizer)\n    max_norm = max_norm if x.size(0) == 4 else 0.5\n")
    assert block != lesson.code.fix
    result = run(lesson, block)
    assert result.status is Status.FAILED and "3 sequences of 5 tokens" in result.message
