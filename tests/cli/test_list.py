"""`minigpt-tutor list`: the course map as the course screen shows it, topic by topic with what
each teaches and the learner's share solved, the lessons with their marks, and the lesson to take next."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from test_cli_behaviour import run_cli

from tutor.core.course import load_course
from tutor.core.locations import lessons_dir
from tutor.core.progress import ProgressStore
from tutor.core.results import RunResult, Status
from tutor.core.topics import TOPICS_FILE

COURSE = load_course()


def solve(saves: Path, learner: str, lesson_id: str) -> None:
    """A passing run recorded in the learner's save, as the tutor records one."""
    lesson = COURSE.get(lesson_id)
    ProgressStore(saves, learner).record_run(lesson_id, lesson.code.fix,
                                             RunResult(lesson=lesson_id, status=Status.PASSED, message=""))


def listed(saves: Path, *args: str, lang: str = "en", columns: int = 80) -> str:
    done = run_cli("--learner", "ana", "--saves-dir", str(saves), "list", *args, lang=lang, columns=columns)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def row_of(lines: list[str], lesson_id: str) -> str:
    """The lesson's own row, below the two lines of the learner's place."""
    return next(line for line in lines[2:] if f" {lesson_id} " in line)


def test_topics_in_learning_order_with_their_line_then_their_lessons(tmp_path: Path) -> None:
    shown = listed(tmp_path / "saves")
    lines = shown.splitlines()
    headings = [lines.index(next(line for line in lines if line.startswith(topic.title.get("en"))))
                for topic, _ in COURSE.by_topic()]
    assert headings == sorted(headings)
    for (topic, lessons), at, end in zip(COURSE.by_topic(), headings, [*headings[1:], len(lines)]):
        assert lines[at].rstrip().endswith(f"0/{len(lessons)}")
        assert " ".join(" ".join(lines[at + 1:at + 3]).split()).startswith(topic.teaches.get("en"))  # under the title, wrapped or not
        block = "\n".join(lines[at + 2:end])  # up to the next topic
        assert all(f" {lesson.id} " in block for lesson in lessons)
    for position, lesson in enumerate(COURSE.lessons, start=1):
        row = row_of(lines, lesson.id)
        assert f" {position} {lesson.id} " in row
    first = COURSE.lessons[0]
    assert lines[0] == f"Lessons · ana: solved 0 of {len(COURSE.lessons)}"
    assert shown.index(f"▶ Next: {first.id} · ") < shown.index(topic_title(0))
    assert row_of(lines, first.id).startswith("▶ ○ ")
    assert sum(line.startswith("▶ ") for line in lines) == 2  # the next line, and the lesson's own row
    assert lines[-1] == "○ new  ◐ attempted  ● solved  ▶ next"
    assert max(len(line) for line in lines) <= 80 and "…" not in shown


def topic_title(index: int) -> str:
    return COURSE.by_topic()[index][0].title.get("en")


def test_a_solved_lesson_is_marked_counted_in_its_topic_and_the_next_one_follows(tmp_path: Path) -> None:
    saves = tmp_path / "saves"
    first, second = COURSE.lessons[:2]
    solve(saves, "ana", first.id)
    lines = listed(saves).splitlines()
    first_topic = COURSE.by_topic()[0][1]
    assert lines[0] == f"Lessons · ana: solved 1 of {len(COURSE.lessons)}"
    assert lines[1].startswith(f"▶ Next: {second.id} · ")
    assert next(line for line in lines if line.startswith(topic_title(0))).rstrip().endswith(f"1/{len(first_topic)}")
    assert row_of(lines, first.id).startswith("  ● ")
    assert row_of(lines, second.id).startswith("▶ ○ ")


def test_in_spanish(tmp_path: Path) -> None:
    lines = listed(tmp_path / "saves", lang="es").splitlines()
    topic = COURSE.topics[0]
    assert lines[0].startswith("Lecciones · ana: resueltas 0 de ")
    assert lines[1].startswith(f"▶ Siguiente: {COURSE.lessons[0].id} · {COURSE.lessons[0].title.get('es')[:20]}")
    at = lines.index(next(line for line in lines if line.startswith(topic.title.get("es"))))
    assert " ".join(lines[at + 1:at + 3]).startswith(topic.teaches.get("es"))
    assert lines[-1] == "○ nueva  ◐ intentada  ● resuelta  ▶ siguiente"


def test_json_keeps_its_fields_and_adds_the_topic_the_state_and_the_next_lesson(tmp_path: Path) -> None:
    saves = tmp_path / "saves"
    solve(saves, "ana", COURSE.lessons[0].id)
    rows = json.loads(listed(saves, "--json"))
    assert [row["id"] for row in rows] == [lesson.id for lesson in COURSE.lessons]
    for position, (row, lesson) in enumerate(zip(rows, COURSE.lessons), start=1):
        topic = next(topic for topic in COURSE.topics if topic.id == lesson.topic)
        assert row == {"id": lesson.id, "title": lesson.title.get("en"), "topic": lesson.topic, "order": lesson.order,
                       "position": position, "topic_title": topic.title.get("en"),
                       "topic_teaches": topic.teaches.get("en"), "state": "solved" if position == 1 else "new",
                       "next": position == 2}


def test_once_every_lesson_is_solved_list_says_so(tmp_path: Path) -> None:
    course = tmp_path / "lessons"
    course.mkdir()
    for name in ("01-autograd-inplace-residual.toml", TOPICS_FILE):
        shutil.copy(lessons_dir() / name, course / name)
    saves = tmp_path / "saves"
    solve(saves, "ana", "inplace-residual")
    lines = listed(saves, "--lessons-dir", str(course)).splitlines()
    assert lines[:2] == ["Lessons · ana: solved 1 of 1", "The only lesson is solved."]
    assert all("▶" not in line for line in lines[:-1])
    assert json.loads(listed(saves, "--lessons-dir", str(course), "--json"))[0]["next"] is False


def test_a_course_without_its_map_lists_no_lesson_and_names_the_file(tmp_path: Path) -> None:
    course = tmp_path / "lessons"
    course.mkdir()
    shutil.copy(lessons_dir() / "01-autograd-inplace-residual.toml", course)
    done = run_cli("--saves-dir", str(tmp_path / "saves"), "--lessons-dir", str(course), "list")
    assert done.returncode == 0
    assert done.stdout.splitlines()[1] == "No lesson to show."
    assert "topics.toml: no such file (the course map: no lesson is shown" in done.stderr


def test_a_save_that_cannot_be_read_still_lists_the_course(tmp_path: Path) -> None:
    saves = tmp_path / "saves"
    saves.write_text("a file where the saves folder should be", encoding="utf-8")
    done = run_cli("--learner", "ana", "--saves-dir", str(saves), "list")
    assert done.returncode == 0
    assert str(saves) in done.stderr and "Traceback" not in done.stderr
    assert all(f" {lesson.id} " in done.stdout for lesson in COURSE.lessons)
    assert f"▶ Next: {COURSE.lessons[0].id}" in done.stdout
