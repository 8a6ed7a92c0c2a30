"""The presenters say what was compared and what each run measured: the heading of the table of
differing tensors names its subject, the evidence rows set this run against the control in the
stories' order, a loss or ratio that blew up is said as inf or nan, and compare never claims a
run stopped when it only recorded no loss per step."""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import pytest
from rich.console import Console

from tests.ui.ui_helpers import plain
from tutor.commands.watch import Watch
from tutor.core.course import load_course
from tutor.core.i18n import tr
from tutor.core.progress import ProgressStore
from tutor.core.results import RunResult, Status, TensorComparison
from tutor.core.warm import RunnerSession
from tutor.present.compare import held_out_losses, loss_chart, loss_summary
from tutor.present.diagnosis import gradients_table, result_panel
from tutor.present.evidence import evidence_rows, evidence_table

DIFFERS = [TensorComparison(name="tok_emb.weight", max_abs_diff=0.25, rel_diff=0.1),
           TensorComparison(name="lm_head.weight", max_abs_diff=math.nan, rel_diff=math.nan),
           TensorComparison(name="pos_emb.weight", missing=True)]


def result(subject: str | None = None, **evidence: object) -> RunResult:
    return RunResult(lesson="any", status=Status.FAILED, message="", subject=subject, gradients=DIFFERS,
                     evidence=evidence)


@pytest.mark.parametrize(("subject", "heading"), [
    ("gradients", "Gradients that do not match the control"),
    ("parameters", "Parameters after training that differ from the control"),
    ("training", "Gradients given to the optimizer that differ from the control's"),
    ("generation", "Parameters and sampled tokens that differ from the control"),
])
def test_the_heading_of_the_differing_tensors_names_what_was_compared(subject: str, heading: str) -> None:
    shown = plain(gradients_table(result(subject), "en"))
    assert shown.splitlines()[0].strip() == heading
    assert "nan" in shown and "missing" in shown  # a nan difference is said, never taken for a missing tensor
    assert plain(gradients_table(result(subject), "es")).splitlines()[0].strip() == tr(f"label.differ.{subject}", "es")


def test_the_evidence_rows_follow_the_story_and_set_each_run_against_the_control() -> None:
    rows = evidence_rows({"final_loss": 2.38, "moved": 5, "frozen": ["a.weight", "a.bias"], "runner": "warm",
                          "control_moved": 17, "control_frozen": [], "control_final_loss": 2.32,
                          "control_runner": "warm", "probe_seed": 3}, "en")
    assert rows == [("Parameters that moved (moved)", "5", "17"),
                    ("Parameters that never moved (frozen)", "2", "0"),
                    ("Held-out loss after training (final_loss)", "2.38", "2.32"),
                    ("probe_seed", "3", "")]  # a fact no row knows is shown under its key; how the run was made is not
    table = plain(evidence_table(result(moved=5, frozen=["a.weight", "a.bias"], control_moved=17), "en"))
    assert table.splitlines()[0].strip() == "What the scenario measured: this run against the control"
    assert "Parameters that never moved (frozen), this run: a.weight, a.bias" in table


def test_the_mode_lessons_facts_are_labelled_in_both_languages_in_their_stories_order() -> None:
    evidence = {"eval_repeat_gap": 0.25, "mode_restored": True, "repeat_gap": 0.0009, "eval_loss": 3.2487,
                "val_losses": [4.06, 2.93], "train_mode_steps": 0, "control_train_mode_steps": 40,
                "control_repeat_gap": 0.0, "control_mode_restored": True}
    rows = evidence_rows(evidence, "en")
    assert rows == [("Estimated loss of the trained weights (eval_loss)", "3.249", ""),
                    ("Gap between two estimates of the same weights (repeat_gap)", "0.0009", "0.0"),
                    ("Each call left the mode it found (mode_restored)", "yes", "yes"),
                    ("Training steps taken in train mode (train_mode_steps)", "0", "40"),
                    ("Held-out losses the loop returned (val_losses)", "4.06, 2.93", ""),
                    ("Largest gap between two eval-mode forwards (eval_repeat_gap)", "0.25", "")]
    spanish = evidence_rows(evidence, "es")
    assert [label for label, _, _ in spanish] == [tr(f"evidence.{key}", "es") for key in (
        "eval_loss", "repeat_gap", "mode_restored", "train_mode_steps", "val_losses", "eval_repeat_gap")]
    assert spanish[2][1] == tr("evidence.yes", "es")


def test_a_run_that_blew_up_shows_inf_or_nan_and_the_step_it_happened() -> None:
    evidence = {"losses": [4.04, 9.1, None, None], "final_loss": None, "gradient_ratio": None, "diverged": True,
                "control_losses": [4.04, 3.9, 3.5, 3.1], "control_final_loss": 3.05, "control_gradient_ratio": 1.0,
                "control_diverged": False}
    rows = {label: (mine, control) for label, mine, control in evidence_rows(evidence, "en")}
    assert rows["Held-out loss after training (final_loss)"] == ("inf or nan", "3.05")
    assert rows["Training loss, last step (losses)"] == ("inf or nan at step 4", "3.1 at step 4")
    assert rows["First step with an inf or nan training loss"] == ("step 3", "none in 4 steps")
    assert rows["Second gradient over the first, same batch (gradient_ratio)"] == ("inf or nan", "1.0")
    assert rows["Training blew up (diverged)"] == ("yes", "no")
    spanish = {label: (mine, control) for label, mine, control in evidence_rows(evidence, "es")}
    assert spanish[tr("evidence.not_a_number_from", "es")] == ("paso 3", "ninguno en 4 pasos")
    assert spanish[tr("evidence.diverged", "es")] == ("sí", "no")


def test_check_text_carries_the_evidence_only_when_there_is_some() -> None:
    assert "this run against the control" in plain(result_panel(result("parameters", moved=0), "en"))
    assert "this run against the control" not in plain(result_panel(result("parameters"), "en"))


def test_compare_says_what_each_loss_is_without_claiming_a_run_stopped() -> None:
    curves = {"control": [], "yours": []}
    held = held_out_losses(result(final_loss=0.29, control_final_loss=2.08), "en")
    assert loss_summary(curves, "en", held) == [
        "control: held-out loss 2.08 after training (this lesson records no loss per step)",
        "yours: held-out loss 0.29 after training (this lesson records no loss per step)"]
    assert loss_summary(curves, "en") == ["control: no loss in this result", "yours: no loss in this result"]
    assert not any("stopped" in line for line in loss_summary(curves, "en", held))
    blown = {"control": [4.0, 3.0], "yours": [4.0, math.nan]}
    assert loss_summary(blown, "en")[1] == "yours: loss inf or nan at step 2"


def test_a_curve_that_reached_inf_is_drawn_up_to_it() -> None:
    chart = loss_chart({"control": [4.0, 3.5, 3.1], "yours": [4.0, 50.0, math.inf]}, "en", width=60, height=12)
    assert "Loss per step" in chart.plain and "50.0" in chart.plain


def test_watch_prints_the_same_evidence_table(tmp_path: Path) -> None:
    console = Console(record=True, width=200, file=io.StringIO(), color_system=None)
    watch = Watch(ProgressStore(tmp_path, "ada"), load_course(), "es", RunnerSession(), console)
    watch.show(result("parameters", moved=5, control_moved=17))
    shown = console.export_text()
    assert tr("evidence.title", "es") in shown
    assert re.search(rf"{re.escape(tr('evidence.moved', 'es'))}\s+5\s+17", shown)
    assert shown.index(tr("evidence.title", "es")) < shown.index(tr("label.differ.parameters", "es"))


def test_a_fact_no_row_knows_is_said_plainly() -> None:
    rows = evidence_rows({"shape_probe": True, "per_step": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, None],
                          "control_per_step": [], "threads": 2}, "en")
    assert rows == [("shape_probe", "yes", ""), ("per_step", "1.0 → inf or nan (7 values)", "none"),
                    ("threads", "2", "")]


def test_a_loss_that_climbs_by_orders_of_magnitude_is_drawn_on_a_log_axis_and_the_next_chart_is_linear() -> None:
    blown = {"control": [4.0, 3.5, 3.0, 2.9], "yours": [4.0, 90.0, 8.0e4, 1.5e10]}
    chart = loss_chart(blown, "en", width=70, height=16).plain
    assert "loss (logarithmic scale)" in chart
    assert sum("┤" in line for line in chart.splitlines()) >= 4  # ticks between 3 and 1.5e10, not one flat line
    calm = loss_chart({"control": [4.0, 3.5, 3.0], "yours": [4.0, 3.6, 3.2]}, "es", width=70, height=16).plain
    assert "logarítmica" not in calm and "pérdida" not in calm.splitlines()[-1]


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_optimizer_steps_facts_have_rows_of_their_own_in_the_storys_order(language: str) -> None:
    rows = evidence_rows({"warning": "Detected call of `lr_scheduler.step()` before `optimizer.step()`.",
                          "warnings": 1, "last_learning_rate": 0.5, "first_learning_rate": 0.1,
                          "accumulation_ratio": 4.0, "control_warnings": 0, "control_first_learning_rate": 0.05,
                          "control_last_learning_rate": 0.5, "control_accumulation_ratio": 1.0}, language)
    keys = ["accumulation_ratio", "first_learning_rate", "last_learning_rate", "warnings", "warning"]
    assert [label for label, _, _ in rows] == [tr(f"evidence.{key}", language) for key in keys]
    assert all(f"({key})" in label for key, (label, _, _) in zip(keys, rows))
    assert [(mine, control) for _, mine, control in rows] == [
        ("4.0", "1.0"), ("0.1", "0.05"), ("0.5", "0.5"), ("1", "0"),
        ("Detected call of `lr_scheduler.step()` before `optimizer.step()`.", "")]
