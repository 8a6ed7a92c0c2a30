"""The command line as a learner meets it: ids never cut, the fix kept back, nothing overwritten or
written by accident, the command's own usage, a suggestion for a near-miss id, plurals and numbers."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

from tutor.core.course import load_course
from tutor.core.i18n import tr_count
from tutor.core.progress import ProgressStore
from tutor.core.results import RunResult, Status

LESSON = "inplace-residual"


def run_cli(*args: str, lang: str = "en", columns: int = 80) -> subprocess.CompletedProcess[str]:
    """`minigpt-tutor ARGS` with its output piped, as a script or `| less` sees it."""
    return subprocess.run([sys.executable, "-m", "tutor", *args], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL,
                          env={**os.environ, "NO_COLOR": "1", "MINIGPT_TUTOR_LANG": lang, "COLUMNS": str(columns)})


def test_list_at_80_columns_prints_every_id_whole() -> None:
    shown = run_cli("list").stdout
    assert "…" not in shown
    for lesson in load_course().lessons:
        assert f" {lesson.id} " in shown, lesson.id  # whole, on one line
    assert max(len(line) for line in shown.splitlines()) <= 80


def test_show_keeps_the_fix_back_until_the_lesson_is_solved(tmp_path: Path) -> None:
    lesson = load_course().get(LESSON)
    fix_text = lesson.story.fix.get("en").strip().splitlines()[0][:30]
    saves = tmp_path / "saves"
    common = ("--learner", "ana", "--saves-dir", str(saves))

    hidden = run_cli(*common, "show", LESSON, columns=200)
    assert hidden.returncode == 0, hidden.stderr
    assert "The fix is hidden until you solve the lesson" in hidden.stdout
    assert fix_text not in hidden.stdout
    assert "The reference fix" not in hidden.stdout
    assert not saves.exists(), "show must not create a save"

    asked = run_cli(*common, "show", LESSON, "--solution", columns=200)
    assert fix_text in asked.stdout and "The reference fix" in asked.stdout

    ProgressStore(saves, "ana").record_run(LESSON, lesson.code.fix, RunResult(lesson=LESSON, status=Status.PASSED, message=""))
    solved = run_cli(*common, "show", LESSON, columns=200)
    assert fix_text in solved.stdout and "hidden" not in solved.stdout

    spanish = run_cli("--learner", "bea", "--saves-dir", str(saves), "show", LESSON, lang="es", columns=200)
    assert "El arreglo queda oculto" in spanish.stdout


def test_experiment_refuses_a_folder_that_holds_an_earlier_experiment(tmp_path: Path) -> None:
    out = tmp_path / "25-A"
    out.mkdir()
    (out / "outcome.json").write_text("{}", encoding="utf-8")
    refused = run_cli("experiment", LESSON, "--variant", "control", "--out", str(out), "--steps", "1", columns=300)
    assert refused.returncode == 2
    assert f"{out} is not empty" in refused.stderr and "--force" in refused.stderr
    assert (out / "outcome.json").read_text(encoding="utf-8") == "{}"
    assert sorted(p.name for p in out.iterdir()) == ["outcome.json"]

    forced = run_cli("experiment", LESSON, "--variant", "control", "--out", str(out), "--steps", "1", "--force")
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert '"status": "finished"' in (out / "outcome.json").read_text(encoding="utf-8")


def test_reset_for_a_learner_with_no_save_says_so_and_writes_nothing(tmp_path: Path) -> None:
    saves = tmp_path / "saves"
    saves.mkdir()
    done = run_cli("--learner", "nobody", "--saves-dir", str(saves), "reset", "--all", "--yes")
    assert done.returncode == 0, done.stderr
    assert "nobody has no saved progress in every lesson: nothing to reset" in done.stdout
    assert "was reset" not in done.stdout
    assert list(saves.iterdir()) == []  # no save, no lock

    one = run_cli("--learner", "nobody", "--saves-dir", str(saves), "reset", LESSON, "--yes", lang="es")
    assert "nobody no tiene progreso guardado en inplace-residual" in one.stdout
    assert list(saves.iterdir()) == []


def test_a_misspelt_option_shows_the_commands_own_usage() -> None:
    done = run_cli("check", "--detect-anomoly", LESSON, "b.py")
    assert done.returncode == 2
    assert done.stderr.startswith("usage: minigpt-tutor check ")
    assert "unrecognized arguments: --detect-anomoly" in done.stderr
    listing = run_cli("list", "--jsn")
    assert listing.stderr.startswith("usage: minigpt-tutor list ") and "--jsn" in listing.stderr


def test_a_near_miss_lesson_id_gets_a_suggestion(tmp_path: Path) -> None:
    done = run_cli("show", "inplace-residul", columns=300)
    assert done.returncode == 2
    assert "no lesson 'inplace-residul'; did you mean inplace-residual?" in done.stderr
    spanish = run_cli("show", "sgd-leaf-inplce", lang="es", columns=300)
    assert "¿querías decir sgd-leaf-inplace?" in spanish.stderr
    far = run_cli("show", "zzz", columns=300)
    assert "did you mean" not in far.stderr and "the course has: inplace-residual" in far.stderr
    reset = run_cli("--saves-dir", str(tmp_path), "reset", "rebind-paramter", "--yes", columns=300)
    assert reset.returncode == 2 and "did you mean rebind-parameter?" in reset.stderr


def test_counts_agree_with_their_nouns(tmp_path: Path) -> None:
    assert tr_count("graph.broken_count", "en", 1).startswith("1 node saved ")
    assert tr_count("graph.broken_count", "en", 2).startswith("2 nodes saved ")
    assert tr_count("graph.broken_count", "es", 1).startswith("1 nodo guardó ")
    saves = tmp_path / "saves"
    ProgressStore(saves, "ana").record_opened(LESSON)
    report = run_cli("report", "--saves-dir", str(saves), columns=200)
    assert "Class report: 1 learner in" in report.stdout
    assert "Informe de la clase: 1 alumno en" in run_cli("report", "--saves-dir", str(saves), lang="es",
                                                         columns=200).stdout


def test_times_are_kept_and_reported_in_tenths_of_a_second(tmp_path: Path) -> None:
    saves = tmp_path / "saves"
    store = ProgressStore(saves, "ana")
    for seconds in (112.1, 0.2, 0.1):  # 112.1 + 0.2 + 0.1 is 112.39999999999999 in floats
        store.add_time(LESSON, seconds)
    assert store.load().lessons[LESSON].time_spent_s == 112.4
    rows = list(csv.DictReader(io.StringIO(run_cli("report", "--saves-dir", str(saves), "--format", "csv").stdout)))
    assert [row["time_spent_s"] for row in rows if row["lesson"] == LESSON] == ["112.4"]


def test_hint_reveals_the_next_rung_and_records_it_as_the_tutor_does(tmp_path: Path) -> None:
    lesson = load_course().get(LESSON)
    saves = tmp_path / "saves"
    common = ("--learner", "ana", "--saves-dir", str(saves))

    first = run_cli(*common, "hint", LESSON, columns=300)
    assert first.returncode == 0, first.stderr
    assert "Hint 1 of 3 (mild)" in first.stdout and lesson.hints.mild.get("en").strip()[:40] in first.stdout
    assert ProgressStore(saves, "ana").load().lessons[LESSON].hint_rung == 1

    second = run_cli(*common, "hint", LESSON, columns=300)
    assert "Hint 1 of 3" in second.stdout and "Hint 2 of 3 (medium)" in second.stdout

    declined = run_cli(*common, "hint", LESSON, columns=300)  # the direct rung asks; no answer is no
    assert declined.returncode == 1 and "gives the fix away" in declined.stdout
    assert "Hint 3 of 3" not in declined.stdout
    assert ProgressStore(saves, "ana").load().lessons[LESSON].hint_rung == 2

    direct = run_cli(*common, "hint", LESSON, "--yes", lang="es", columns=300)
    assert "Pista 3 de 3" in direct.stdout and lesson.hints.direct.get("es").strip()[:40] in direct.stdout
    assert ProgressStore(saves, "ana").load().lessons[LESSON].hint_rung == 3


def test_a_lesson_that_trains_shows_the_graph_of_its_first_step(tmp_path: Path) -> None:
    """The learner's own loop calls backward (not the scenario): its first backward is still the one shown."""
    block = tmp_path / "b.py"
    block.write_text(load_course().get("step-before-backward").code.starter, encoding="utf-8")
    done = run_cli("graph", "step-before-backward", str(block), "--timeout", "120", columns=200)
    assert "No graph" not in done.stdout, done.stdout + done.stderr
    assert done.returncode == 0
    assert "Autograd graph from the loss, just before backward" in done.stdout
    assert "This run trained for 30 steps: the graph is the first step's" in done.stdout
