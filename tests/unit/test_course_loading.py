"""The course loader: bad files are named precisely and never hide good ones; the course map
(topics.toml) sets the course order, topic by topic."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tutor.core.course import LessonFileError, load_course, load_lesson
from tutor.core.locations import lessons_dir
from tutor.core.topics import TOPICS_FILE

GOOD = lessons_dir() / "01-autograd-inplace-residual.toml"
MAP = lessons_dir() / TOPICS_FILE
# The first seventeen lessons, in the order the course has always had: new lessons may come
# between them, never reorder them.
FIRST_SEVENTEEN = ["inplace-residual", "inplace-softmax", "sgd-leaf-inplace", "data-residual", "detach-embeddings",
                   "backward-twice", "no-grad-forward", "step-before-backward", "view-after-transpose",
                   "scores-without-transpose", "cross-entropy-unflattened", "float-token-ids",
                   "generate-past-block-size", "missing-causal-mask", "softmax-wrong-dim", "forgotten-zero-grad",
                   "rebind-parameter"]


def copy_good(folder: Path, name: str = "01-good.toml") -> Path:
    if not (folder / TOPICS_FILE).exists():
        shutil.copy(MAP, folder / TOPICS_FILE)
    return Path(shutil.copy(GOOD, folder / name))


def lesson_with(folder: Path, name: str, lesson_id: str, topic: str, order: int) -> Path:
    """The good lesson under another id, topic and order."""
    path = copy_good(folder, name)
    text = path.read_text(encoding="utf-8")
    text = text.replace('id = "inplace-residual"\norder = 1\ntopic = "autograd"',
                        f'id = "{lesson_id}"\norder = {order}\ntopic = "{topic}"')
    path.write_text(text, encoding="utf-8")
    return path


def write_map(folder: Path, text: str) -> None:
    (folder / TOPICS_FILE).write_text(text, encoding="utf-8")


TWO_TOPICS = """format_version = 1
[[topics]]
id = "shapes"
title.en = "Shapes"
teaches.en = "Shapes first"
[[topics]]
id = "autograd"
title.en = "Autograd"
teaches.en = "Then autograd"
"""


def test_the_shipped_course_loads_without_problems(course) -> None:
    assert course.problems == []
    topic_ids = [topic.id for topic in course.topics]
    assert len(topic_ids) == len(set(topic_ids)) and {lesson.topic for lesson in course.lessons} <= set(topic_ids)
    keys = [(topic_ids.index(lesson.topic), lesson.order) for lesson in course.lessons]
    assert keys == sorted(keys)  # topic by topic, by order within a topic


def test_the_first_seventeen_lessons_keep_their_order(course) -> None:
    assert [lesson.id for lesson in course.lessons if lesson.id in FIRST_SEVENTEEN] == FIRST_SEVENTEEN
    first_four = ["autograd", "shapes", "types", "training"]
    assert [topic.id for topic in course.topics if topic.id in first_four] == first_four


def test_the_course_runs_in_topic_order_then_by_order_within_a_topic(tmp_path: Path) -> None:
    write_map(tmp_path, TWO_TOPICS)
    lesson_with(tmp_path, "01-a.toml", "autograd-first", "autograd", 1)
    lesson_with(tmp_path, "02-b.toml", "shapes-late", "shapes", 50)
    lesson_with(tmp_path, "03-c.toml", "shapes-early", "shapes", 7)
    loaded = load_course(tmp_path)
    assert loaded.problems == []
    assert [lesson.id for lesson in loaded.lessons] == ["shapes-early", "shapes-late", "autograd-first"]
    assert [(topic.id, [lesson.id for lesson in lessons]) for topic, lessons in loaded.by_topic()] == [
        ("shapes", ["shapes-early", "shapes-late"]), ("autograd", ["autograd-first"])]


def test_a_topic_with_no_lessons_is_not_shown(tmp_path: Path) -> None:
    write_map(tmp_path, TWO_TOPICS)
    lesson_with(tmp_path, "01-a.toml", "only-autograd", "autograd", 1)
    loaded = load_course(tmp_path)
    assert [topic.id for topic in loaded.topics] == ["shapes", "autograd"]
    assert [topic.id for topic, _ in loaded.by_topic()] == ["autograd"]


def test_a_lesson_naming_a_topic_not_in_the_map_is_a_problem_naming_both(tmp_path: Path) -> None:
    copy_good(tmp_path)
    lesson_with(tmp_path, "02-lost.toml", "lost", "optimisers", 1)
    loaded = load_course(tmp_path)
    assert [lesson.id for lesson in loaded.lessons] == ["inplace-residual"]
    topics = ", ".join(topic.id for topic in loaded.topics)
    assert [str(problem) for problem in loaded.problems] == [
        f"02-lost.toml: topic: 'optimisers' is not in topics.toml, which has: {topics}"]
    assert topics.startswith("autograd, shapes, types, parameters, training")


def test_a_topic_listed_twice_is_named(tmp_path: Path) -> None:
    copy_good(tmp_path)
    write_map(tmp_path, TWO_TOPICS + '[[topics]]\nid = "shapes"\ntitle.en = "Again"\nteaches.en = "Twice"\n')
    loaded = load_course(tmp_path)
    assert loaded.lessons == []
    assert [problem.path.name for problem in loaded.problems] == [TOPICS_FILE]
    message = str(loaded.problems[0])
    assert message.startswith("topics.toml: topics: ") and "topics[2]: 'shapes' is listed twice" in message
    assert "no lesson is shown without it" in message


@pytest.mark.parametrize(("text", "expected"), [
    ('format_version = 1\n[[topics]]\nid = "x"\ntitle.en = [unclosed\n', "topics.toml: TOML syntax error: .*line 4"),
    ('format_version = 1\n[[topics]]\nid = "x"\ntitle.fr = "X"\nteaches.en = "y"\n', "topics.toml: topics.0.title: .*'en'"),
    ('format_version = 1\n[[topics]]\nid = "x"\ntitle.en = "X"\n', "topics.toml: topics.0.teaches: Field required"),
    ('format_version = 1\n[[topics]]\nid = "x"\ntitle.en = "X"\nteaches.en = "two\\nlines"\n',
     "topics.toml: topics.0.teaches: .*one line"),
    ('format_version = 1\n[[topics]]\nid = "Not A Slug"\ntitle.en = "X"\nteaches.en = "y"\n',
     "topics.toml: topics.0.id: .*lowercase"),
    ('format_version = 1\ntopics = []\n', "topics.toml: topics: .*at least 1"),
    ('format_version = 2\n[[topics]]\nid = "x"\ntitle.en = "X"\nteaches.en = "y"\n', "topics.toml: format_version: "),
])
def test_a_malformed_course_map_is_named_with_its_line_or_field(tmp_path: Path, text: str, expected: str) -> None:
    copy_good(tmp_path)
    write_map(tmp_path, text)
    loaded = load_course(tmp_path)
    assert loaded.lessons == [] and len(loaded.problems) == 1
    assert re.match(expected, str(loaded.problems[0])), str(loaded.problems[0])


def test_without_a_course_map_no_lesson_is_shown_and_lesson_problems_are_still_named(tmp_path: Path) -> None:
    copy_good(tmp_path)
    (tmp_path / TOPICS_FILE).unlink()
    (tmp_path / "02-broken.toml").write_text("this is = = not toml", encoding="utf-8")
    loaded = load_course(tmp_path)
    assert loaded.lessons == [] and loaded.topics == []
    assert [str(problem) for problem in loaded.problems][0] == (
        "topics.toml: no such file (the course map: no lesson is shown without it)")
    assert [problem.path.name for problem in loaded.problems] == [TOPICS_FILE, "02-broken.toml"]


def test_a_course_map_that_is_not_a_regular_file_is_refused(tmp_path: Path) -> None:
    copy_good(tmp_path)
    (tmp_path / TOPICS_FILE).unlink()
    (tmp_path / TOPICS_FILE).mkdir()
    assert str(load_course(tmp_path).problems[0]).startswith("topics.toml: is a folder, not a file")


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


def test_a_huge_course_map_is_refused_unread(tmp_path: Path) -> None:
    copy_good(tmp_path)
    (tmp_path / TOPICS_FILE).write_bytes(b"#" * (2 << 20))
    assert str(load_course(tmp_path).problems[0]).startswith("topics.toml: is larger than 1 MB")
