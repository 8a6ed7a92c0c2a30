"""The evidence each story tells the learner to read is on screen after a real run, set against
the control's: parameters that moved and never moved, the held-out loss, the causal-leak and
row-sum probes, the gradient ratio, the step where the loss blew up to inf or nan, and what
dropout did in each mode."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.widgets import Static

from tests.ui.conftest import SHIPPED_LESSONS, AppFactory
from tests.ui.ui_helpers import pilot_test, plain, run_block, text_of
from tutor.core.i18n import tr
from tutor.ui.app import TutorApp
from tutor.ui.widgets.editor import BlockEditor
from tutor.ui.widgets.result import ResultPanel

SIZE = (120, 40)
# Lesson 16's step with its gradients scaled by 1e30: the first update throws every weight to inf.
BLOWN_UP = """def train_step(model: GPT, optimizer: torch.optim.Optimizer, x: Tensor, y: Tensor) -> float:
    _, loss = model(x, y)
    (loss * 1e30).backward()
    optimizer.step()
    return loss.item()
"""


@pytest.fixture
def course_dir() -> Path:
    return SHIPPED_LESSONS


def evidence(app: TutorApp, language: str = "en") -> dict[str, tuple[str, ...]]:
    """The evidence table on screen: each row's label, then this run's value and the control's."""
    shown = text_of(app.screen.query_one("#result"))
    title = tr("evidence.title", language)
    assert title in shown, shown
    rows = {}
    for line in shown[shown.index(title):].splitlines()[2:]:
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) < 2:
            break
        rows[cells[0]] = tuple(cells[1:])
    return rows


def row(rows: dict[str, tuple[str, ...]], key: str, language: str = "en") -> tuple[str, ...]:
    return rows[tr(f"evidence.{key}", language)]


@pytest.mark.parametrize("language", ["en", "es"])
@pilot_test
async def test_moved_and_frozen_parameters_against_the_control(make_app: AppFactory, language: str) -> None:
    app = make_app(lesson="data-residual", lang=language)
    frozen = app.course.get("data-residual").expect.evidence["frozen"]
    async with app.run_test(size=SIZE) as pilot:
        await run_block(pilot)
        rows = evidence(app, language)
        assert row(rows, "moved", language) == ("5", "17")
        assert row(rows, "frozen", language) == ("12", "0")
        shown = " ".join(text_of(app.screen.query_one("#result")).split())
        assert f"{tr('evidence.frozen', language)}, {tr('evidence.this_run', language).lower()}: " in shown
        assert all(name in shown for name in frozen) and len(frozen) == 12
        assert tr("label.differ.training", language) in shown  # the gradients training gave the optimizer
        assert tr("label.differ.gradients", language) not in shown


@pilot_test
async def test_the_held_out_loss_against_the_controls(make_app: AppFactory) -> None:
    app = make_app(lesson="step-before-backward")
    async with app.run_test(size=SIZE) as pilot:
        await run_block(pilot)
        rows = evidence(app)
        mine, control = map(float, row(rows, "final_loss"))
        assert 3.9 <= mine <= 4.3 and control <= 3.6  # where it started, against a model that learned
        assert row(rows, "moved") == ("0", "17")


@pilot_test
async def test_the_causal_leak_and_row_sum_probes_against_the_controls(make_app: AppFactory) -> None:
    app = make_app(lesson="softmax-wrong-dim")
    async with app.run_test(size=SIZE) as pilot:
        await run_block(pilot)
        rows = evidence(app)
        assert row(rows, "causal_leak") == ("yes", "no")
        assert row(rows, "rows_sum_to_one") == ("no", "yes")
        assert tr("label.differ.gradients", "en") in text_of(app.screen.query_one("#result"))


@pilot_test
async def test_the_gradient_ratio_and_the_divergence_against_the_controls(make_app: AppFactory) -> None:
    app = make_app(lesson="forgotten-zero-grad")
    async with app.run_test(size=SIZE) as pilot:
        await run_block(pilot)
        rows = evidence(app)
        assert row(rows, "gradient_ratio") == ("2.0", "1.0")
        assert row(rows, "diverged") == ("yes", "no")
        mine, control = row(rows, "not_a_number_from")
        assert re.fullmatch(r"none in 40 steps|step \d+", mine) and control == "none in 40 steps"
        last = row(rows, "last_loss")[0].removesuffix(" at step 40")
        assert last == "inf or nan" or float(last) > 100  # the story's "past 100,000", or blown up already


@pilot_test
async def test_the_step_where_the_loss_became_inf_or_nan_and_real_numbers_elsewhere(make_app: AppFactory) -> None:
    app = make_app(lesson="forgotten-zero-grad")
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one(BlockEditor).load_text(BLOWN_UP)
        await run_block(pilot)
        rows = evidence(app)
        assert row(rows, "not_a_number_from") == ("step 2", "none in 40 steps")
        assert row(rows, "final_loss")[0] == "inf or nan"
        assert row(rows, "last_loss")[0] == "inf or nan at step 40"
        assert row(rows, "diverged") == ("yes", "no")
        differing = text_of(app.screen.query_one("#result"))
        assert re.search(r"lm_head\.weight\s+nan", differing)  # the difference as it is, never a dash
        await pilot.press("t", "t")
        await pilot.pause()
        summary = plain(app.screen.query_one("#comparison-summary", Static).content)
        assert "yours: loss inf or nan at step 40" in summary
        assert re.search(r"control: loss \d+\.\d{4} at step 40", summary)


@pilot_test
async def test_the_compare_pane_gives_the_held_out_losses_of_a_lesson_without_curves(make_app: AppFactory) -> None:
    app = make_app(lesson="missing-causal-mask")
    async with app.run_test(size=SIZE) as pilot:
        await run_block(pilot)
        mine, control = map(float, row(evidence(app), "final_loss"))
        assert mine < control / 4
        assert row(evidence(app), "causal_leak") == ("yes", "no")
        await pilot.press("t", "t")
        await pilot.pause()
        summary = " ".join(plain(app.screen.query_one("#comparison-summary", Static).content).split())
        assert f"control: held-out loss {control:g} after training (this lesson records no loss per step)" in summary
        assert f"yours: held-out loss {mine:g} after training" in summary
        assert "stopped" not in summary


@pytest.mark.parametrize("language", ["en", "es"])
@pilot_test
async def test_the_norm_a_clipped_step_applied_against_the_controls(make_app: AppFactory, language: str) -> None:
    app = make_app(lesson="clip-before-unscale", lang=language)
    async with app.run_test(size=SIZE) as pilot:
        await run_block(pilot)
        rows = evidence(app, language)
        assert row(rows, "step_gradient_norm", language) == ("1.526e-05", "1.0")  # 1/65536, and the clip's 1.0
        mine, control = map(float, row(rows, "final_loss", language))
        assert mine > 3.9 and control < 3.5  # an untrained model's loss, against one that learned
        assert tr("label.differ.training", language) in text_of(app.screen.query_one("#result"))


@pilot_test
async def test_an_overflow_names_the_type_the_value_did_not_fit(make_app: AppFactory) -> None:
    app = make_app(lesson="mask-overflow-half")
    async with app.run_test(size=SIZE) as pilot:
        await run_block(pilot)
        shown = text_of(app.screen.query_one("#result"))
        assert re.search(rf"{tr('label.dtype', 'en')}\s+Half", shown)
        assert "value cannot be converted to type c10::Half without overflow" in " ".join(shown.split())
        assert tr("kind.value_overflow", "en") in " ".join(shown.split())


@pilot_test
async def test_a_loss_too_good_to_be_true_with_no_leak_in_the_attention(make_app: AppFactory) -> None:
    app = make_app(lesson="targets-not-shifted")
    async with app.run_test(size=SIZE) as pilot:
        await run_block(pilot)
        rows = evidence(app)
        mine, control = map(float, row(rows, "final_loss"))
        assert mine == 0.0 and 2.08 <= control <= 2.11  # the story's "`0.0`" against the floor
        assert row(rows, "causal_leak") == ("no", "no")


@pytest.mark.parametrize("language", ["en", "es"])
@pilot_test
async def test_what_a_load_that_is_not_strict_left_against_the_controls(make_app: AppFactory, language: str) -> None:
    app = make_app(lesson="strict-false-compiled", lang=language)
    async with app.run_test(size=SIZE) as pilot:
        await run_block(pilot)
        rows = evidence(app, language)
        assert row(rows, "loaded", language) == ("0", "17")
        assert row(rows, "missing_keys", language) == row(rows, "unexpected_keys", language) == ("17", "0")
        mine, control = map(float, row(rows, "loaded_loss", language))
        assert mine > 3.9 and control < 3.6  # an untrained model's loss, against the saved one's
        shown = " ".join(text_of(app.screen.query_one("#result")).split())
        unexpected = f"{tr('evidence.unexpected_keys', language)}, {tr('evidence.this_run', language).lower()}: "
        assert f"{unexpected}_orig_mod.tok_emb.weight, _orig_mod.pos_emb.weight, _orig_mod.blocks.0.ln1.weight, " \
               "_orig_mod.blocks.0.ln1.bias (+13)" in shown
        assert tr("label.differ.loaded", language) in shown


@pilot_test
async def test_a_strict_load_names_the_missing_and_the_unexpected_keys(make_app: AppFactory) -> None:
    app = make_app(lesson="renamed-module-keys")
    async with app.run_test(size=SIZE) as pilot:
        await run_block(pilot)
        shown = " ".join(text_of(app.screen.query_one("#result")).split())
        assert f"{tr('label.missing_keys', 'en')} 4: blocks.0.ln1.weight, blocks.0.ln1.bias" in shown
        assert f"{tr('label.unexpected_keys', 'en')} 4: blocks.0.ln_1.weight, blocks.0.ln_1.bias" in shown
        assert tr("kind.state_dict_mismatch", "en") in shown


@pilot_test
async def test_a_weights_only_refusal_names_what_it_refused(make_app: AppFactory) -> None:
    app = make_app(lesson="weights-only-refusal")
    async with app.run_test(size=SIZE) as pilot:
        await run_block(pilot)
        shown = text_of(app.screen.query_one("#result"))
        assert re.search(rf"{tr('label.refused_global', 'en')}\s+minigpt\.model\.GPTConfig", shown)
        # the card says torch's words without the bold it printed (the raw output keeps that)
        assert "two options, do those steps only if you trust the source of the checkpoint." in " ".join(shown.split())


@pytest.mark.parametrize("language", ["en", "es"])
@pilot_test
async def test_two_estimates_of_the_same_weights_differ_where_the_controls_agree(make_app: AppFactory,
                                                                                  language: str) -> None:
    app = make_app(lesson="estimate-in-train-mode", lang=language)
    async with app.run_test(size=SIZE) as pilot:
        await run_block(pilot)
        rows = evidence(app, language)
        mine, control = map(float, row(rows, "repeat_gap", language))
        assert 0.0005 <= mine <= 0.03 and control == 0.0  # the story's "0.0005 to 0.03" against "`0.0`"
        yes = tr("evidence.yes", language)
        assert row(rows, "mode_restored", language) == (yes, yes)


@pilot_test
async def test_no_training_step_in_train_mode_against_every_step_of_the_controls(make_app: AppFactory) -> None:
    app = make_app(lesson="left-in-eval-mode")
    async with app.run_test(size=SIZE) as pilot:
        await run_block(pilot)
        assert row(evidence(app), "train_mode_steps") == ("0", "40")
        assert tr("label.differ.training", "en") in text_of(app.screen.query_one("#result"))


@pilot_test
async def test_two_eval_mode_forwards_differ_where_the_controls_agree(make_app: AppFactory) -> None:
    app = make_app(lesson="functional-dropout-always-on")
    async with app.run_test(size=SIZE) as pilot:
        await run_block(pilot)
        mine, control = map(float, row(evidence(app), "eval_repeat_gap"))
        assert 0.2 <= mine <= 0.45 and control == 0.0  # "0.2 to 0.45" against "`0.0`"
        assert "eval_logits" in " ".join(text_of(app.screen.query_one("#result")).split())


# The optimiser's step: what each starter's story tells the learner to read, this run's against the control's.
OPTIMIZER_EVIDENCE = {
    "clip-before-backward": ("diverged", ("yes", "no")),
    "scheduler-before-step": ("first_learning_rate", ("0.1", "0.05")),
    "new-head-after-optimizer": ("moved", ("16", "17")),
    "accumulation-undivided": ("accumulation_ratio", ("4.0", "1.0")),
}


@pytest.mark.parametrize("lesson_id", sorted(OPTIMIZER_EVIDENCE))
@pilot_test
async def test_the_optimizer_lessons_evidence_against_the_controls(make_app: AppFactory, lesson_id: str) -> None:
    app = make_app(lesson=lesson_id, lang="es")
    key, shown = OPTIMIZER_EVIDENCE[lesson_id]
    async with app.run_test(size=SIZE) as pilot:
        await run_block(pilot)
        rows = evidence(app, "es")
        assert row(rows, key, "es") == tuple(tr(f"evidence.{value}", "es") if value in ("yes", "no") else value
                                             for value in shown)
        if lesson_id == "scheduler-before-step":
            assert row(rows, "warnings", "es") == ("1", "0")
            assert "Detected call of `lr_scheduler.step()`" in text_of(app.screen.query_one("#result"))
        if lesson_id == "new-head-after-optimizer":
            assert "lm_head.weight" in text_of(app.screen.query_one("#result"))


@pilot_test
async def test_the_raw_output_shows_torchs_bold_as_bold_and_no_escape_sequence(make_app: AppFactory) -> None:
    """torch's weights-only refusal prints `\\x1b[1m...\\x1b[0m`; the fold shows the words, styled."""
    app = make_app(lesson="weights-only-refusal")
    async with app.run_test(size=SIZE) as pilot:
        await run_block(pilot)
        raw = app.screen.query_one("#result").query_one(".raw", Static)
        shown = raw.content
        assert "\x1b" in app.screen.query_one(ResultPanel).view.result.stderr  # as torch printed it
        assert "\x1b" not in shown.plain and "do those steps only if you trust" in shown.plain
        bold = [span for span in shown.spans if "bold" in str(span.style)]
        assert any(shown.plain[span.start:span.end].startswith("do those steps") for span in bold)
