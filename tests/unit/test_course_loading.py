"""The lesson loader: bad files are named precisely and never hide good ones."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tutor.core.course import LessonFileError, load_course, load_lesson
from tutor.core.locations import lessons_dir

GOOD = lessons_dir() / "01-autograd-inplace-residual.toml"


def copy_good(folder: Path, name: str = "01-good.toml") -> Path:
    return Path(shutil.copy(GOOD, folder / name))


def test_the_shipped_course_loads_without_problems(course) -> None:
    assert course.problems == []
    assert [lesson.order for lesson in course.lessons] == sorted(lesson.order for lesson in course.lessons)


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "02-bad.toml"
    bad.write_text('format_version = 1\nid = "x"\ntitle = [unclosed\n', encoding="utf-8")
    with pytest.raises(LessonFileError) as error:
        load_lesson(bad)
    assert "02-bad.toml" in str(error.value)
    assert "line 3" in str(error.value)


def test_validation_error_names_the_field(tmp_path: Path) -> None:
    path = copy_good(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace('[hints.mild]\nen = ', '[hints.mild]\nfr = '), encoding="utf-8")
    with pytest.raises(LessonFileError) as error:
        load_lesson(path)
    assert "01-good.toml" in str(error.value)
    assert "hints.mild" in str(error.value)
    assert "'en'" in str(error.value)


def test_wrong_target_form_is_explained(tmp_path: Path) -> None:
    path = copy_good(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace('target = "minigpt.model:Block.forward"', 'target = "os:system"'), encoding="utf-8")
    with pytest.raises(LessonFileError, match="target: .*minigpt.module:function"):
        load_lesson(path)


def test_a_malformed_lesson_leaves_the_others_loaded(tmp_path: Path) -> None:
    copy_good(tmp_path)
    (tmp_path / "02-broken.toml").write_text("this is = = not toml", encoding="utf-8")
    (tmp_path / "03-binary.toml").write_bytes(b"\xff\xfe\x00garbage")
    loaded = load_course(tmp_path)
    assert [lesson.id for lesson in loaded.lessons] == ["inplace-residual"]
    assert sorted(problem.path.name for problem in loaded.problems) == ["02-broken.toml", "03-binary.toml"]
    assert all(str(problem).startswith(problem.path.name) for problem in loaded.problems)


def test_duplicate_ids_are_a_problem_not_a_crash(tmp_path: Path) -> None:
    copy_good(tmp_path, "01-a.toml")
    copy_good(tmp_path, "02-b.toml")
    loaded = load_course(tmp_path)
    assert len(loaded.lessons) == 1
    assert "already used" in str(loaded.problems[0])


def test_unknown_lesson_lists_the_known_ones(course) -> None:
    with pytest.raises(KeyError, match="inplace-residual"):
        course.get("no-such-lesson")
