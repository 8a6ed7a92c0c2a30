"""A block that behaves like a wrong fix the lesson lists is told why that fix is wrong,
on screen and from `check`, in the learner's language."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ui.conftest import AppFactory
from tests.ui.ui_helpers import pilot_test, run_block, text_of
from tutor.core.course import load_course
from tutor.core.i18n import tr
from tutor.ui.widgets.editor import BlockEditor

LESSON = load_course().get("inplace-residual")
CLONE_FIRST = LESSON.wrong_fixes[0]  # `h = h.clone()` first: the version error moves, it does not go


@pytest.mark.parametrize("language", ["en", "es"])
@pilot_test
async def test_the_result_and_the_hints_say_why_the_known_wrong_fix_is_wrong(make_app: AppFactory,
                                                                              language: str) -> None:
    assert "h.clone()" in CLONE_FIRST.code
    app = make_app(lesson=LESSON.id, lang=language)
    async with app.run_test(size=(120, 40)) as pilot:
        app.screen.query_one(BlockEditor).load_text(CLONE_FIRST.code)
        await run_block(pilot)
        shown = " ".join(text_of(app.screen.query_one("#result")).split())
        assert " ".join(tr("verdict.known_wrong_fix", language).split()) in shown
        assert " ".join(CLONE_FIRST.why.get(language).split()) in shown
        assert tr("ui.hints.known_wrong_fix", language) in text_of(app.screen.query_one("#hints"))


def test_check_names_the_known_wrong_fix_and_not_the_starter(tmp_path: Path) -> None:
    def check(block: str, *options: str, language: str = "en") -> subprocess.CompletedProcess[str]:
        path = tmp_path / "block.py"
        path.write_text(block, encoding="utf-8")
        return subprocess.run([sys.executable, "-m", "tutor", "--lang", language, "check", LESSON.id, str(path),
                               "--timeout", "120", *options],
                              capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", "COLUMNS": "400"})

    known = json.loads(check(CLONE_FIRST.code, "--json").stdout)["wrong_fix"]
    assert known == {"index": 0, "why": CLONE_FIRST.why.get("en")}
    assert json.loads(check(LESSON.code.starter, "--json").stdout)["wrong_fix"] is None
    said = " ".join(check(CLONE_FIRST.code, language="es").stdout.split())
    assert tr("verdict.known_wrong_fix", "es") in said
