"""The first lesson end to end, through the installed command as a learner would use it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

BLOCK_PARAMETERS = {f"blocks.0.{layer}.{kind}" for layer in ("ln1", "attn.c_attn", "attn.c_proj", "ln2", "mlp.fc", "mlp.proj")
                    for kind in ("weight", "bias")}


def tutor(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["minigpt-tutor", *args], capture_output=True, text=True, timeout=120)


def check(block: Path, *extra: str) -> tuple[int, dict]:
    done = tutor("check", "inplace-residual", str(block), "--json", *extra)
    return done.returncode, json.loads(done.stdout)


@pytest.fixture(scope="module")
def starter(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("blocks") / "b.py"
    path.write_text(tutor("show", "inplace-residual", "--starter").stdout, encoding="utf-8")
    return path


def test_show_starter_prints_exactly_the_editor_block(starter, inplace_lesson) -> None:
    assert starter.read_text(encoding="utf-8") == inplace_lesson.code.starter


def test_the_starter_fails_with_the_real_version_error(starter) -> None:
    code, result = check(starter)
    assert code == 1
    assert result["status"] == "failed"
    diagnosis = result["diagnosis"]
    assert diagnosis["kind"] == "inplace_version"
    assert (diagnosis["tensor_type"], diagnosis["shape"], diagnosis["op"]) == ("torch.FloatTensor", [1, 8, 64], "Add")
    assert (diagnosis["version_found"], diagnosis["version_expected"]) == (2, 1)
    assert diagnosis["failed_backward"] is None  # only anomaly mode names the backward node
    assert result["message"].startswith("backward raised")


def test_anomaly_mode_names_the_layernorm_backward_and_the_ln2_line(starter) -> None:
    code, result = check(starter, "--detect-anomaly")
    diagnosis = result["diagnosis"]
    assert code == 1
    assert diagnosis["failed_backward"] == "NativeLayerNormBackward0"
    lines = starter.read_text(encoding="utf-8").splitlines()
    assert "self.ln2(h)" in lines[diagnosis["line"] - 1]
    assert (diagnosis["version_found"], diagnosis["version_expected"]) == (2, 1)


def test_the_reference_fix_passes_with_every_gradient_matching(tmp_path, inplace_lesson) -> None:
    block = tmp_path / "fix.py"
    block.write_text(inplace_lesson.code.fix, encoding="utf-8")
    code, result = check(block)
    assert (code, result["status"]) == (0, "passed")
    assert len(result["gradients"]) == 17
    assert all(g["matches"] and g["max_abs_diff"] == 0.0 for g in result["gradients"])


def test_data_add_raises_nothing_and_loses_the_whole_blocks_gradients(tmp_path, inplace_lesson) -> None:
    block = tmp_path / "data.py"
    block.write_text(inplace_lesson.wrong_fixes[1].code, encoding="utf-8")
    code, result = check(block)
    assert (code, result["status"], result["diagnosis"]) == (1, "failed", None)
    assert {g["name"] for g in result["gradients"] if g["missing"]} == BLOCK_PARAMETERS
    assert "missing" in result["message"] and "blocks.0.ln1.weight" in result["message"]


def test_no_grad_in_place_add_is_caught_by_the_gradient_check(tmp_path) -> None:
    block = tmp_path / "nograd.py"
    block.write_text(
        "def forward(self, h):\n"
        "    with torch.no_grad():\n"
        "        h.add_(self.attn(self.ln1(h)))\n"
        "        h.add_(self.mlp(self.ln2(h)))\n"
        "    return h\n", encoding="utf-8")
    code, result = check(block)
    assert (code, result["status"], result["diagnosis"]) == (1, "failed", None)  # no error at all
    assert {g["name"] for g in result["gradients"] if g["missing"]} == BLOCK_PARAMETERS


def test_detach_skip_path_fails_naming_the_embeddings(tmp_path, inplace_lesson) -> None:
    block = tmp_path / "detach.py"
    block.write_text(inplace_lesson.wrong_fixes[2].code, encoding="utf-8")
    code, result = check(block)
    assert code == 1 and result["status"] == "failed"
    wrong = {g["name"] for g in result["gradients"] if not g["matches"]}
    assert wrong == set(inplace_lesson.wrong_fixes[2].expect.differ) and len(wrong) == 8  # "eight gradients"
    assert "tok_emb.weight" in result["message"]


def test_a_syntax_error_is_invalid_with_its_line(tmp_path) -> None:
    block = tmp_path / "bad.py"
    block.write_text("def forward(self, h):\n    h = (h +\n    return h\n", encoding="utf-8")
    code, result = check(block)
    assert (code, result["status"]) == (1, "invalid")
    assert result["message"].startswith("line ")


def test_unknown_lesson_and_missing_file_are_usage_errors(tmp_path) -> None:
    assert tutor("check", "no-such-lesson", str(tmp_path / "x.py")).returncode == 2
    missing = tutor("check", "inplace-residual", str(tmp_path / "absent.py"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
