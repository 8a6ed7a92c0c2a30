"""Files a learner can point the tutor at: FILE arguments and lesson files are regular
files of a sane size, and anything else is refused at once with a clear message."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.core.course import load_course, load_lesson
from tutor.core.files import UnreadableFile, read_regular_file
from tutor.core.locations import lessons_dir
from tutor.core.topics import TOPICS_FILE


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "block.py"
    os.mkfifo(path)
    return path


def test_a_regular_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "b.py"
    path.write_bytes(b"x = 1\n")
    assert read_regular_file(path, 100) == b"x = 1\n"


@pytest.mark.parametrize("kind, says", [("fifo", "not a regular file"), ("device", "not a regular file"),
                                        ("folder", "is a folder"), ("missing", "no such file"),
                                        ("large", "larger than 1 MB")])
def test_anything_else_is_refused_without_waiting(kind: str, says: str, fifo: Path, tmp_path: Path) -> None:
    large = tmp_path / "large.py"
    if kind == "large":
        large.write_bytes(b"#" * (2 << 20))
    path = {"fifo": fifo, "device": Path("/dev/zero"), "folder": tmp_path, "missing": tmp_path / "absent.py",
            "large": large}[kind]
    with pytest.raises(UnreadableFile, match=says):
        read_regular_file(path, 1 << 20)


def tutor(*arguments: str) -> subprocess.CompletedProcess[str]:
    """The command's run, its stderr unwrapped (the console wraps long lines)."""
    done = subprocess.run([sys.executable, "-m", "tutor", *arguments], capture_output=True, text=True, timeout=120)
    done.stderr = " ".join(done.stderr.split())
    return done


@pytest.mark.parametrize("file", ["fifo", "/dev/zero", "folder"])
def test_check_refuses_a_fifo_a_device_or_a_folder_as_file(file: str, fifo: Path, tmp_path: Path) -> None:
    path = {"fifo": str(fifo), "folder": str(tmp_path)}.get(file, file)
    done = tutor("check", "inplace-residual", path)
    assert done.returncode == 2
    assert "not a regular file" in done.stderr or "is a folder" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("seconds", ["nan", "inf", "-1", "0", "1e9"])
def test_check_takes_only_a_finite_timeout_in_range(seconds: str, tmp_path: Path) -> None:
    block = tmp_path / "b.py"
    block.write_text("x = 1\n")
    done = tutor("check", "inplace-residual", str(block), "--timeout", seconds)
    assert done.returncode == 2
    assert "a timeout is a number of seconds from 1 to 3600" in done.stderr


def test_a_fifo_or_a_huge_lesson_file_is_listed_as_a_problem_and_the_rest_load(tmp_path: Path) -> None:
    source = sorted(lessons_dir().glob("*.toml"))[0]  # a good lesson, next to the bad files
    for name in (source.name, TOPICS_FILE):
        shutil.copy(lessons_dir() / name, tmp_path / name)
    os.mkfifo(tmp_path / "fifo.toml")
    (tmp_path / "huge.toml").write_bytes(b"#" * (2 << 20))
    course = load_course(tmp_path)
    assert [lesson.id for lesson in course.lessons] == [load_lesson(source).id]
    problems = {problem.path.name: problem.message for problem in course.problems}
    assert "not a regular file" in problems["fifo.toml"]
    assert "larger than 1 MB" in problems["huge.toml"]


def test_list_does_not_hang_on_a_fifo_lesson_file(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.toml")
    done = subprocess.run([sys.executable, "-m", "tutor", "list"], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "MINIGPT_TUTOR_LESSONS": str(tmp_path)})
    assert "Traceback" not in done.stderr
    assert "fifo.toml" in done.stdout + done.stderr
