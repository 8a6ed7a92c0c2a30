"""The layers of pyproject.toml's import-linter contracts: they hold, and they bite.

core imports no front end, no sandbox, no textual and no torch; the presentation layer
draws with rich only; the two front ends (ui, commands) never import each other and no
command imports another; the sandbox knows no front end; no module circle.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` over the packages found first in `root`."""
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120)


def copy_of_the_project(tmp_path: Path) -> Path:
    for name in ("tutor", "minigpt"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_every_layer_contract_holds() -> None:
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "7 kept, 0 broken" in done.stdout


def test_a_forbidden_import_breaks_its_contract(tmp_path: Path) -> None:
    root = copy_of_the_project(tmp_path)
    (root / "tutor" / "core" / "shortcut.py").write_text("from tutor.ui.widgets import result\n")
    done = lint_imports(root)
    assert done.returncode == 1
    assert "core is headless: no front end, no sandbox, no textual, no torch BROKEN" in done.stdout
    assert "tutor.core.shortcut -> tutor.ui.widgets.result" in done.stdout


def test_a_command_importing_another_breaks_its_contract(tmp_path: Path) -> None:
    root = copy_of_the_project(tmp_path)
    check = root / "tutor" / "commands" / "check.py"
    check.write_text(check.read_text() + "\nfrom tutor.commands import compare  # noqa\n")
    done = lint_imports(root)
    assert done.returncode == 1
    assert "each command stands alone: commands share only commands.common BROKEN" in done.stdout
