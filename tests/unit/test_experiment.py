"""experiment + grad-compare on real torch, through the command line, as a learner runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.core.lessons import Lesson

STEPS = "300"  # the default: enough for a block that never learns to fall behind the control
SHORT = "12"  # for the runs that only need to start


def tutor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tutor", *args], capture_output=True, text=True, timeout=300,
                          env={"PATH": "", "COLUMNS": "120", "MINIGPT_TUTOR_LANG": "en"})


def experiment(folder: Path, variant: str, steps: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return tutor("experiment", "inplace-residual", "--variant", variant, "--steps", steps, "--out", str(folder), *extra)


def outcome(folder: Path) -> dict:
    return json.loads((folder / "outcome.json").read_text())


def grad_compare(a: Path, b: Path, *extra: str) -> tuple[int, dict]:
    run = tutor("grad-compare", str(a), str(b), "--json", *extra)
    assert run.returncode in (0, 1), run.stderr
    return run.returncode, json.loads(run.stdout)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, inplace_lesson: Lesson) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("experiments")
    (root / "silent.py").write_text(next(w.code for w in inplace_lesson.wrong_fixes if "h.data.add_" in w.code))
    variants = {"A": ("control", STEPS), "A2": ("control", STEPS), "B": ("break", SHORT),
                "B-anomaly": ("break", SHORT, "--detect-anomaly"), "C": (str(root / "silent.py"), STEPS)}
    for name, (variant, *extra) in variants.items():
        run = experiment(root / name, variant, *extra)
        assert run.returncode == (0 if variant != "break" else 1), run.stdout + run.stderr
    return {name: root / name for name in variants}


def test_control_trains_every_step_and_saves_what_happened(runs: dict[str, Path]) -> None:
    saved = outcome(runs["A"])
    assert saved["status"] == "finished" and saved["steps_done"] == int(STEPS)
    losses = json.loads((runs["A"] / "losses.json").read_text())
    assert len(losses) == int(STEPS) and losses[-1] < losses[0]
    assert {p.name for p in runs["A"].iterdir()} == {"outcome.json", "losses.json", "gradients.npz", "gradients_first.npz"}


def test_control_against_control_is_zero_difference(runs: dict[str, Path]) -> None:
    code, compared = grad_compare(runs["A"], runs["A2"])
    assert code == 0
    assert compared["gradients"] and all(row["max_abs_diff"] == 0.0 and row["matches"] for row in compared["gradients"])
    assert compared["a"]["losses"] == compared["b"]["losses"]
    code, last = grad_compare(runs["A"], runs["A2"], "--at", "last")
    assert code == 0 and all(row["max_abs_diff"] == 0.0 for row in last["gradients"])


def test_the_silent_data_variant_loses_the_block_gradients_without_an_error(runs: dict[str, Path]) -> None:
    assert outcome(runs["C"])["status"] == "finished"
    code, compared = grad_compare(runs["A"], runs["C"])
    assert code == 1
    rows = {row["name"]: row for row in compared["gradients"]}
    missing = {name for name, row in rows.items() if row["missing"]}
    assert missing == {name for name in rows if name.startswith("blocks.0.")}
    assert len(missing) == 12
    for name in ("tok_emb.weight", "pos_emb.weight"):
        assert not rows[name]["matches"] and rows[name]["rel_diff"] > 1e-3
    # the forward values are the same, so what the head sees at the first step is too
    assert rows["lm_head.weight"]["matches"] and rows["ln_f.weight"]["matches"]
    assert compared["a"]["losses"][0] == pytest.approx(compared["b"]["losses"][0])
    # a block that never learns leaves the model behind the control on the same steps and batches
    assert compared["b"]["final_loss"] > compared["a"]["final_loss"]


def test_the_break_stops_at_the_first_backward_with_its_diagnosis(runs: dict[str, Path]) -> None:
    saved = outcome(runs["B"])
    assert (saved["status"], saved["phase"], saved["steps_done"]) == ("raised", "backward", 0)
    diagnosis = saved["diagnosis"]
    assert (diagnosis["kind"], diagnosis["op"], diagnosis["version_found"], diagnosis["version_expected"]) == (
        "inplace_version", "Add", 2, 1)
    assert diagnosis["failed_backward"] is None
    assert outcome(runs["B-anomaly"])["diagnosis"]["failed_backward"] == "NativeLayerNormBackward0"


def test_the_break_got_as_far_as_ln2_before_it_failed(runs: dict[str, Path]) -> None:
    code, compared = grad_compare(runs["A"], runs["B"])
    assert code == 1
    rows = {row["name"]: row for row in compared["gradients"]}
    reached = {name for name, row in rows.items() if row["matches"]}
    assert reached == {"lm_head.weight", "ln_f.weight", "ln_f.bias", "blocks.0.mlp.fc.weight", "blocks.0.mlp.fc.bias",
                       "blocks.0.mlp.proj.weight", "blocks.0.mlp.proj.bias"}
    assert all(rows[name]["missing"] for name in rows if name not in reached)


def test_grad_compare_prints_a_table_and_both_loss_curves(runs: dict[str, Path]) -> None:
    run = tutor("grad-compare", str(runs["A"]), str(runs["C"]))
    assert run.returncode == 1, run.stderr
    assert "blocks.0.ln1.weight" in run.stdout and "no gradient" in run.stdout
    assert "Loss per step" in run.stdout
    assert f"A {runs['A']}" in run.stdout and f"B {runs['C']}" in run.stdout


def test_an_invalid_block_is_reported_not_trained(tmp_path: Path) -> None:
    block = tmp_path / "bad.py"
    block.write_text("def forward(self, h):\n    return h +\n")
    run = experiment(tmp_path / "out", str(block), SHORT)
    assert run.returncode == 1
    saved = outcome(tmp_path / "out")
    assert saved["status"] == "invalid" and "line 2" in saved["error"]


def test_grad_compare_refuses_a_folder_that_is_not_an_experiment(tmp_path: Path) -> None:
    run = tutor("grad-compare", str(tmp_path), str(tmp_path))
    assert run.returncode == 2
    assert "not an experiment folder" in run.stderr
