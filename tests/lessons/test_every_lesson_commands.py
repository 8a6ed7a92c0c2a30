"""Every lesson's starter and fix through `check`, `graph` and `compare`, as text and as
JSON, from the shell: each answers with its verdict, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tutor.core.course import load_course
from tutor.core.lessons import Lesson

COURSE = load_course()
COMMANDS = ("check", "graph", "compare")


def tutor(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tutor", *arguments], capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "NO_COLOR": "1", "COLUMNS": "120"})


def every_answer(lesson: Lesson, block: Path) -> dict[tuple[str, bool], subprocess.CompletedProcess[str]]:
    """Each command, as text and as JSON; two at a time, as the machine has two cores."""
    runs = [(command, as_json) for command in COMMANDS for as_json in (False, True)]
    limit = ["--timeout", "120"]  # a busy machine must not turn a slow cold start into a "timeout" here
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = pool.map(lambda run: tutor(run[0], lesson.id, str(block), *limit, *(["--json"] if run[1] else [])), runs)
        return dict(zip(runs, answers))


@pytest.mark.parametrize("which", ["starter", "fix"])
@pytest.mark.parametrize("lesson", COURSE.lessons, ids=lambda lesson: lesson.id)
def test_each_command_answers_for_the_starter_and_the_fix(lesson: Lesson, which: str, tmp_path: Path) -> None:
    block = tmp_path / "block.py"
    block.write_text(lesson.code.starter if which == "starter" else lesson.code.fix, encoding="utf-8")
    expected = "passed" if which == "fix" else lesson.expect.status.value
    answers = every_answer(lesson, block)
    for (command, as_json), answer in answers.items():
        assert "Traceback" not in answer.stderr, (command, as_json, answer.stderr)
        assert answer.returncode in (0, 1), (command, as_json, answer.returncode, answer.stderr)

    checked = json.loads(answers["check", True].stdout)
    assert checked["lesson"] == lesson.id and checked["status"] == expected, checked["message"]
    assert answers["check", True].returncode == (0 if expected == "passed" else 1)
    if which == "starter" and lesson.expect.diagnosis is not None:
        assert checked["diagnosis"]["kind"] == lesson.expect.diagnosis.kind.value
    assert checked["message"] in answers["check", False].stdout.replace("\n", " ") or expected in answers["check", False].stdout

    graph = json.loads(answers["graph", True].stdout)
    assert graph["status"] == expected
    assert (graph["graph"] is None) == (answers["graph", True].returncode == 1)
    shown = answers["graph", False].stdout
    assert shown.strip() and (graph["graph"] is None or "grad_fn" in shown or "Backward" in shown)

    compared = json.loads(answers["compare", True].stdout)
    assert compared["status"] == expected
    assert {"control", "yours"} == set(compared["losses"])
    assert all(loss is None or isinstance(loss, float) for curve in compared["losses"].values() for loss in curve)
    assert "control:" in answers["compare", False].stdout and "yours:" in answers["compare", False].stdout
