"""The tutor's own process stays clean: no textual in the core, no torch, no learner code."""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import tutor.core

CORE_MODULES = sorted(module.name for module in pkgutil.iter_modules(tutor.core.__path__))


def imported_after(statement: str) -> set[str]:
    code = f"{statement}\nimport sys\nprint(' '.join(sorted(sys.modules)))"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return {name.split(".")[0] for name in output.split()}


def test_core_imports_neither_textual_nor_torch() -> None:
    assert {"runner", "diagnose", "progress", "lessons"} <= set(CORE_MODULES)
    loaded = imported_after("; ".join(f"import tutor.core.{name}" for name in CORE_MODULES))
    assert "tutor" in loaded
    assert "textual" not in loaded
    assert "torch" not in loaded


def test_the_cli_does_not_import_torch() -> None:
    loaded = imported_after("import tutor.cli")
    assert "torch" not in loaded


def test_learner_code_runs_in_another_process(inplace_lesson, tmp_path: Path) -> None:
    from tutor.core.runner import run_block

    marker = tmp_path / "pid"
    block = f"import os\nopen({str(marker)!r}, 'w').write(str(os.getpid()))\n" + inplace_lesson.code.fix
    result = run_block(inplace_lesson, block)
    assert result.passed, result.message
    assert int(marker.read_text()) != os.getpid()
