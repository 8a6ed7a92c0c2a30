"""Saving when the disk says no: a full disk and a read-only folder, on real small filesystems.

The filesystems are real tmpfs mounts (a 64 KiB one fills up for real), so these
tests need root and permission to mount; without them they are skipped, saying why.
As root, chmod does not stop writes, hence the read-only remount.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tutor.core.i18n import say
from tutor.core.progress import LearnerSave, ProgressStore, SaveError
from tutor.core.results import RunResult, Status

LESSON = "inplace-residual"


def mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB tmpfs, unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small filesystem needs root")
    point = tmp_path / "tiny"
    point.mkdir()
    mounted = mount("-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(point))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield point
    finally:
        if subprocess.run(["umount", str(point)], capture_output=True, timeout=30).returncode != 0:
            subprocess.run(["umount", "-l", str(point)], capture_output=True, timeout=30)


def fill(folder: Path) -> Path:
    """Write a file until the filesystem is full; return it."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 1024)
    except OSError as error:
        assert error.errno == errno.ENOSPC, error
    finally:
        os.close(fd)
    return filler


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tutor", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "NO_COLOR": "1", "MINIGPT_TUTOR_LANG": "en", "COLUMNS": "120"})


def test_a_full_disk_gives_a_clear_message_and_keeps_the_old_save(tiny_fs: Path) -> None:
    saves = tiny_fs / "saves"
    store = ProgressStore(saves, "ana")
    store.record_run(LESSON, "my block", RunResult(lesson=LESSON, status=Status.FAILED, message=""))
    before = store.path.read_bytes()
    filler = fill(tiny_fs)

    with pytest.raises(SaveError) as caught:
        store.save_block(LESSON, "a longer block " * 2000)
    assert "the disk is full" in str(caught.value) and str(store.path) in str(caught.value)
    assert "disco está lleno" in say(caught.value.wording, "es")
    assert store.path.read_bytes() == before  # the old save, intact
    assert LearnerSave.model_validate_json(before).lessons[LESSON].last_block == "my block"
    assert not list(saves.glob(".ana.json.*.tmp"))  # the failed attempt cleaned up after itself

    filler.unlink()  # space again: saving works again
    assert store.save_block(LESSON, "a longer block " * 2000).lessons[LESSON].runs == 1


def test_a_full_disk_through_the_command_line_is_a_message_not_a_traceback(tiny_fs: Path) -> None:
    saves = tiny_fs / "saves"
    store = ProgressStore(saves, "ana")
    for lesson in ("a" * 60 + str(n) for n in range(3)):
        store.record_hint(lesson, 1)
    before = store.path.read_bytes()
    fill(tiny_fs)
    done = run_cli("--saves-dir", str(saves), "--learner", "ana", "reset", "--all", "--yes")
    assert done.returncode == 2, done
    assert "disk is full" in done.stderr and "Traceback" not in done.stderr
    assert store.path.read_bytes() == before


@pytest.fixture
def read_only_saves(tiny_fs: Path) -> Iterator[Path]:
    """A saves folder holding ana's save, on a filesystem then remounted read-only."""
    saves = tiny_fs / "saves"
    ProgressStore(saves, "ana").record_hint(LESSON, 2)
    remounted = mount("-o", "remount,ro", str(tiny_fs))
    if remounted.returncode != 0:
        pytest.skip(f"cannot remount read-only: {remounted.stderr.strip()}")
    yield saves


def test_a_read_only_folder_is_reported_at_start_up(read_only_saves: Path) -> None:
    for learner in ("ana", "newcomer"):  # an existing save, and a learner with none yet
        store = ProgressStore(read_only_saves, learner)
        with pytest.raises(SaveError) as caught:
            store.load()
        assert "read-only" in str(caught.value) and "--saves-dir" in str(caught.value)
        assert "solo lectura" in say(caught.value.wording, "es")
    assert ProgressStore(read_only_saves, "ana").peek().lessons[LESSON].hint_rung == 2  # still readable


def test_a_read_only_folder_through_the_command_line(read_only_saves: Path) -> None:
    done = run_cli("--saves-dir", str(read_only_saves), "--learner", "ana", "reset", LESSON, "--yes")
    assert done.returncode == 2, done
    assert "read-only" in done.stderr and "Traceback" not in done.stderr
    shown = run_cli("--saves-dir", str(read_only_saves), "--learner", "ana", "progress")
    assert shown.returncode == 0, shown
    assert LESSON in shown.stdout and "2/3" in shown.stdout
