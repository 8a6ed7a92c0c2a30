"""Every import of the tutor and its tests is a declared dependency: deptry over the checkout.

A package that happens to be installed on one machine must not hide a missing
declaration: deptry reads `pyproject.toml` and every import, and fails on an undeclared,
unused or merely transitive dependency.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def deptry(root: Path) -> subprocess.CompletedProcess[str]:
    # The tests import their helper modules (conftest, ui_helpers...) by bare name.
    helpers = sorted({path.stem for path in (root / "tests").rglob("*.py")})
    options = [argument for name in helpers for argument in ("--known-first-party", name)]
    return subprocess.run([sys.executable, "-m", "deptry", str(root), "--no-ansi", *options],
                          capture_output=True, text=True, cwd=root)


def test_every_import_is_declared_and_every_dependency_used() -> None:
    checked = deptry(ROOT)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "No dependency issues found" in checked.stdout + checked.stderr


def test_a_dependency_missing_from_pyproject_is_caught(tmp_path: Path) -> None:
    for part in ("tutor", "minigpt", "tests", "lessons"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__", "__snapshots__"))
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    without = "\n".join(line for line in pyproject.splitlines() if '"textual-plotext' not in line)
    assert without != pyproject
    (tmp_path / "pyproject.toml").write_text(without, encoding="utf-8")
    checked = deptry(tmp_path)
    assert checked.returncode != 0
    # Undeclared: missing (DEP001) on a fresh machine, transitive (DEP003) where another package brings it.
    assert re.search(r"loss_plot\.py:\d+:\d+: DEP00[13] 'textual_plotext'", checked.stdout + checked.stderr)
