"""Hostile blocks through the real runner, cold and warm: each gets a clear status and
message, leaves no process behind, and the tutor stays usable."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hostile_blocks import BACKGROUND, CASES, Hostile, record

from tutor.core.results import RunResult, Status
from tests.processes import alive
from tutor.core.runner import RunLimits, run_block
from tutor.core.warm import RunnerSession
from tutor.sandbox.limits import MAX_TASKS, ProcessBound

Run = Callable[[str | bytes, float], RunResult]


@pytest.fixture(scope="module", params=["cold", "warm"])
def runner(request, inplace_lesson, session) -> tuple[str, Run]:
    chosen = session if request.param == "warm" else None

    def run(block: str | bytes, timeout_s: float) -> RunResult:
        return run_block(inplace_lesson, block, limits=RunLimits(timeout_s=timeout_s), session=chosen)

    return request.param, run


def recorded_pids(path: Path) -> list[int]:
    return [int(pid) for pid in path.read_text().split()] if path.exists() else []


def fork_bombs_are_bounded() -> bool:
    bound = ProcessBound.create()
    if bound is not None:
        bound.remove()
        return True
    return os.geteuid() != 0  # RLIMIT_NPROC binds everyone but root


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_hostile_block_gets_a_clear_status_and_leaves_nothing_behind(case: Hostile, runner, inplace_lesson,
                                                                        tmp_path: Path) -> None:
    name, run = runner
    if case.name == "fork bomb" and not fork_bombs_are_bounded():
        pytest.skip("root without a writable pids cgroup: nothing bounds a fork bomb here")
    pids = tmp_path / "pids"
    result = run(case.block(inplace_lesson, pids), case.timeout_s)
    assert result.status is case.status, result.message
    assert case.says in getattr(result, case.where)
    assert result.evidence.get("runner") == (None if name == "cold" else "warm")
    left = [pid for pid in recorded_pids(pids) if alive(pid)]
    assert left == []


def test_a_fork_bomb_stops_at_the_process_bound(runner, inplace_lesson, tmp_path: Path) -> None:
    _, run = runner
    if not fork_bombs_are_bounded():
        pytest.skip("root without a writable pids cgroup: nothing bounds a fork bomb here")
    bomb = next(case for case in CASES if case.name == "fork bomb")
    pids = tmp_path / "pids"
    result = run(bomb.block(inplace_lesson, pids), bomb.timeout_s)
    assert result.status is Status.TIMEOUT
    started = recorded_pids(pids)
    assert 2 < len(started) <= MAX_TASKS + 2  # it did fork, and no further than the bound
    assert [pid for pid in started if alive(pid)] == []


def test_the_tutor_is_still_usable_after_them_all(runner, inplace_lesson, session) -> None:
    name, run = runner
    server = session.server_pid
    result = run(inplace_lesson.code.fix, 10.0)
    assert result.passed, result.message
    if name == "warm":
        assert result.evidence["runner"] == "warm"
        assert session.server_pid == server  # no hostile block took the warm runner down


@pytest.mark.parametrize("how", ["cold", "warm"])
def test_the_block_sees_none_of_the_tutors_secrets(how, inplace_lesson, monkeypatch) -> None:
    monkeypatch.setenv("MINIGPT_TUTOR_SECRET_TOKEN", "s3cr3t")
    monkeypatch.setenv("SSH_AUTH_SOCK", "/tmp/agent.sock")
    block = "import os\nprint(sorted(os.environ))\nprint(os.getcwd())\n" + inplace_lesson.code.fix
    with RunnerSession() as warm:
        result = run_block(inplace_lesson, block, session=warm if how == "warm" else None)
    assert result.passed, result.message
    seen, cwd = result.stdout.splitlines()[:2]
    assert "MINIGPT_TUTOR_SECRET_TOKEN" not in seen and "SSH_AUTH_SOCK" not in seen
    assert "PATH" in seen  # the cleaned environment keeps what a program needs
    assert "OMP_WAIT_POLICY" in seen  # and idle torch threads sleep: the machine is shared
    assert "minigpt-tutor-run-" in cwd


@pytest.mark.parametrize("how", ["cold", "warm"])
def test_the_block_cannot_read_the_tutors_memory_environment_or_descriptors(how, inplace_lesson, session,
                                                                            monkeypatch) -> None:
    monkeypatch.setenv("MINIGPT_TUTOR_SECRET_TOKEN", "s3cr3t")
    tutor = os.getpid()
    runner = session.server_pid if how == "warm" else tutor
    block = ("import os\n"
             f"for path in ['/proc/{tutor}/environ', '/proc/{tutor}/mem', '/proc/{tutor}/fd/0', '/proc/{runner}/environ']:\n"
             "    try:\n"
             "        open(path, 'rb').read(4096)\n"
             "        print('read', path)\n"
             "    except OSError as error:\n"
             "        print('refused', path, type(error).__name__)\n" + inplace_lesson.code.fix)
    result = run_block(inplace_lesson, block, session=session if how == "warm" else None)
    assert result.passed, result.message
    lines = result.stdout.strip().splitlines()[:4]
    assert [line.split()[0] for line in lines] == ["refused"] * 4, lines
    assert "s3cr3t" not in result.stdout


def test_an_experiment_leaves_nothing_behind(inplace_lesson, tmp_path: Path) -> None:
    """`experiment` runs through the same supervisor as a check: its subreaper ends what the
    block starts, here a child in its own session and a daemon (a double fork and `setsid()`)."""
    pids = tmp_path / "pids"
    (tmp_path / "block.py").write_text(record(pids) + BACKGROUND.format(path=str(pids)) + inplace_lesson.code.fix)
    done = subprocess.run([sys.executable, "-m", "tutor", "experiment", inplace_lesson.id, "--variant",
                           str(tmp_path / "block.py"), "--steps", "3", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "MINIGPT_TUTOR_LANG": "en"})
    assert done.returncode == 0, done.stdout + done.stderr  # it trained to the end
    assert json.loads((tmp_path / "out" / "outcome.json").read_text())["steps_done"] == 3
    started = recorded_pids(pids)
    assert len(started) == 4  # the worker, its supervisor, the background child and the daemon
    assert [pid for pid in started if alive(pid)] == []


def test_an_experiment_whose_block_plants_a_symlink_among_its_files_is_refused(inplace_lesson, tmp_path: Path) -> None:
    """The worker's files share the scratch folder with the block: a losses.json that points
    at /dev/zero is refused, not read without end, and nothing of it is kept."""
    (tmp_path / "block.py").write_text("import os\nos.symlink('/dev/zero', 'losses.json')\n" + inplace_lesson.code.fix)
    done = subprocess.run([sys.executable, "-m", "tutor", "experiment", inplace_lesson.id, "--variant",
                           str(tmp_path / "block.py"), "--steps", "3", "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "MINIGPT_TUTOR_LANG": "en"})
    outcome = json.loads((tmp_path / "out" / "outcome.json").read_text())
    assert outcome["status"] == "crashed" and "is a symlink" in outcome["error"], outcome
    assert json.loads((tmp_path / "out" / "losses.json").read_text()) == []
    assert "Traceback" not in done.stderr
