"""`check`'s text carries the evidence its lesson's story reads, this run against the control's,
under headings that say what was compared; `compare` says what each run's loss is, and never
that a run stopped when its lesson records no loss per step."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tutor.core.course import load_course
from tutor.core.i18n import tr

COURSE = load_course()


def run_cli(tmp_path: Path, command: str, lesson_id: str, lang: str = "en") -> str:
    """`minigpt-tutor COMMAND LESSON FILE` on the lesson's starter, its text as a wide pipe gets it."""
    block = tmp_path / f"{lesson_id}.py"
    block.write_text(COURSE.get(lesson_id).code.starter, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "tutor", command, lesson_id, str(block), "--timeout", "120"],
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL,
                          env={**os.environ, "NO_COLOR": "1", "MINIGPT_TUTOR_LANG": lang, "COLUMNS": "200"})
    assert done.returncode == 1, done.stderr
    return done.stdout


def cells(shown: str, label: str) -> list[str]:
    """This run's and the control's value on the evidence row `label`."""
    line = next(line for line in shown.splitlines() if label in line)
    return re.split(r"\s{2,}", line.strip(" │"))[1:]


def test_check_shows_the_leak_probe_and_the_held_out_loss_under_what_they_compare(tmp_path: Path) -> None:
    shown = run_cli(tmp_path, "check", "missing-causal-mask")
    assert tr("evidence.title", "en") in shown
    assert cells(shown, tr("evidence.causal_leak", "en")) == ["yes", "no"]
    assert cells(shown, tr("evidence.rows_sum_to_one", "en")) == ["yes", "yes"]
    mine, control = map(float, cells(shown, tr("evidence.final_loss", "en")))
    assert mine < control / 4
    assert "Gradients that do not match the control" in shown  # this lesson compares one step's gradients


def test_check_shows_a_held_out_loss_of_zero_and_no_leak_for_unshifted_targets(tmp_path: Path) -> None:
    shown = run_cli(tmp_path, "check", "targets-not-shifted", lang="es")
    assert cells(shown, tr("evidence.causal_leak", "es")) == ["no", "no"]
    mine, control = map(float, cells(shown, tr("evidence.final_loss", "es")))
    assert mine == 0.0 and 2.08 <= control <= 2.11


def test_check_shows_the_frozen_parameters_and_the_held_out_loss(tmp_path: Path) -> None:
    shown = run_cli(tmp_path, "check", "detach-embeddings")
    assert cells(shown, tr("evidence.moved", "en")) == ["15", "17"]
    assert cells(shown, tr("evidence.frozen", "en")) == ["2", "0"]
    assert "Parameters that never moved (frozen), this run: pos_emb.weight, tok_emb.weight" in shown
    mine, control = map(float, cells(shown, tr("evidence.final_loss", "en")))
    assert mine > control
    assert "Parameters after training that differ from the control" in shown
    assert "Gradients that do not match" not in shown


def test_check_in_spanish_shows_the_gradient_ratio_and_the_divergence(tmp_path: Path) -> None:
    shown = run_cli(tmp_path, "check", "forgotten-zero-grad", lang="es")
    assert tr("evidence.title", "es") in shown
    assert cells(shown, tr("evidence.gradient_ratio", "es")) == ["2.0", "1.0"]
    assert cells(shown, tr("evidence.diverged", "es")) == ["sí", "no"]
    assert cells(shown, tr("evidence.not_a_number_from", "es"))[1] == "ninguno en 40 pasos"
    assert tr("label.differ.parameters", "es") in shown


def test_compare_gives_the_held_out_losses_where_no_curve_is_recorded(tmp_path: Path) -> None:
    shown = " ".join(run_cli(tmp_path, "compare", "missing-causal-mask").split())
    assert "Your gradients against the control's" in shown
    assert re.search(r"control: held-out loss [\d.]+ after training \(this lesson records no loss per step\)", shown)
    assert re.search(r"yours: held-out loss [\d.]+ after training", shown)
    assert "stopped" not in shown and "no loss in this result" not in shown


def test_check_shows_the_norm_a_clipped_step_applied_and_the_held_out_loss(tmp_path: Path) -> None:
    shown = run_cli(tmp_path, "check", "clip-before-unscale")
    assert cells(shown, tr("evidence.step_gradient_norm", "en")) == ["1.526e-05", "1.0"]
    mine, control = map(float, cells(shown, tr("evidence.final_loss", "en")))
    assert mine > 3.9 and control < 3.5
    assert "no error" in shown  # silent: nothing raised


def test_check_names_the_type_an_overflowing_value_did_not_fit(tmp_path: Path) -> None:
    shown = run_cli(tmp_path, "check", "mask-overflow-half")
    assert re.search(r"Type\s+Half", shown)
    assert "value cannot be converted to type c10::Half without overflow" in shown


def test_check_shows_the_broadcast_that_appeared(tmp_path: Path) -> None:
    shown = run_cli(tmp_path, "check", "broadcast-token-loss")
    assert cells(shown, tr("evidence.broadcasts", "en")) == ["[32, 1], [32] -> [32, 32]", "none"]
    assert "no error" in shown  # silent: nothing raised


def test_check_in_spanish_shows_a_head_that_is_not_the_tables_parameter_and_drifted(tmp_path: Path) -> None:
    shown = run_cli(tmp_path, "check", "tie-broken-by-copy", lang="es")
    assert cells(shown, tr("evidence.one_parameter", "es")) == ["no", "sí"]
    assert cells(shown, tr("evidence.moved", "es")) == ["17", "16"]
    mine, control = cells(shown, tr("evidence.tie_gap", "es"))
    assert 0.2 < float(mine) < 0.24 and control == "0.0"
