"""The warm runner: the same verdicts as the cold one, and it fails over to cold, never hangs."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tutor.core.results import RunResult, Status
from tests.processes import alive
from tutor.core.runner import BlockRun, RunCancelled, RunLimits, run_block
from tutor.core.warm import RunnerSession
from tutor.present.diagnosis import runner_note


@pytest.fixture(scope="module")
def session():
    with RunnerSession() as warm:
        assert warm.wait_ready()
        yield warm


def verdict(result: RunResult) -> tuple:
    """What a learner is told, without timings or the runner's own note."""
    diagnosis = result.diagnosis.model_dump() if result.diagnosis else None
    gradients = [(c.name, c.missing, c.matches) for c in result.gradients]
    return result.status, result.message, diagnosis, gradients


@pytest.mark.parametrize("block", ["starter", "fix", "wrong_fix"])
def test_warm_and_cold_give_the_same_verdict(inplace_lesson, session, block) -> None:
    source = {"starter": inplace_lesson.code.starter, "fix": inplace_lesson.code.fix,
              "wrong_fix": inplace_lesson.wrong_fixes[1].code}[block]
    cold = run_block(inplace_lesson, source)
    warm = run_block(inplace_lesson, source, session=session)
    assert warm.evidence["runner"] == "warm"
    assert "runner" not in cold.evidence
    assert verdict(warm) == verdict(cold)
    assert warm.status is {"starter": Status.FAILED, "fix": Status.PASSED, "wrong_fix": Status.FAILED}[block]


def test_a_hanging_run_is_killed_and_the_next_run_works(inplace_lesson, session, tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    hang = f"import os\nopen({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{os.getppid()}}')\n" \
           "def forward(self, h):\n    while True:\n        pass\n"
    result = run_block(inplace_lesson, hang, session=session, limits=RunLimits(timeout_s=2))
    assert result.status is Status.TIMEOUT
    assert result.evidence["runner"] == "warm"
    worker, supervisor = map(int, pids.read_text().split())
    assert not alive(worker) and not alive(supervisor)
    after = run_block(inplace_lesson, inplace_lesson.code.fix, session=session)
    assert after.passed, after.message
    assert after.evidence["runner"] == "warm"


def test_what_a_block_changes_in_its_process_dies_with_its_fork(inplace_lesson, session) -> None:
    sabotage = "import torch.nn.functional as F\nF.layer_norm = lambda x, *a, **k: x * 0\n" + inplace_lesson.code.fix
    spoiled = run_block(inplace_lesson, sabotage, session=session)
    assert spoiled.status is Status.FAILED  # the learner's module change did reach its own run
    clean = run_block(inplace_lesson, inplace_lesson.code.fix, session=session)
    assert clean.passed, clean.message
    assert clean.evidence["runner"] == "warm"


def test_runs_at_the_same_time_each_get_their_own_verdict(inplace_lesson, session) -> None:
    blocks = [inplace_lesson.code.fix, inplace_lesson.code.starter] * 2
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda block: run_block(inplace_lesson, block, session=session), blocks))
    assert [r.status for r in results] == [Status.PASSED, Status.FAILED] * 2
    assert all(r.evidence["runner"] == "warm" for r in results)


def test_when_the_warm_process_is_killed_the_next_run_falls_back_then_warms_again(inplace_lesson) -> None:
    with RunnerSession() as warm:
        assert warm.wait_ready()
        server = warm.server_pid
        assert server is not None
        os.kill(server, signal.SIGKILL)
        fallback = run_block(inplace_lesson, inplace_lesson.code.starter, session=warm)
        assert fallback.status is Status.FAILED
        assert fallback.diagnosis is not None and fallback.diagnosis.kind.value == "inplace_version"
        assert fallback.evidence["runner"] == "cold"
        assert fallback.evidence["runner_fallback"] == "stopped"
        assert "had stopped" in (runner_note(fallback, "en") or "")
        assert warm.wait_ready()  # a new server was started for the runs after
        assert warm.server_pid not in (None, server)
        again = run_block(inplace_lesson, inplace_lesson.code.fix, session=warm)
        assert again.passed and again.evidence["runner"] == "warm"


def test_a_server_that_is_not_ready_in_time_means_a_cold_run_with_a_note(inplace_lesson) -> None:
    with RunnerSession(ready_timeout_s=0, restarts=0) as warm:
        result = run_block(inplace_lesson, inplace_lesson.code.fix, session=warm)
        assert result.passed
        assert result.evidence["runner"] == "cold"
        assert "no arrancó" in (runner_note(result, "es") or "")
        assert warm.server_pid is None  # given up on, and no restart was allowed


def test_closing_the_session_ends_the_server(inplace_lesson) -> None:
    warm = RunnerSession().start()
    assert warm.wait_ready()
    server = warm.server_pid
    assert server is not None and alive(server)
    warm.close()
    assert not alive(server)
    result = run_block(inplace_lesson, inplace_lesson.code.fix, session=warm)
    assert result.passed and result.evidence["runner"] == "cold"


def test_closing_the_session_in_the_middle_of_a_run_ends_the_run_too(inplace_lesson, tmp_path: Path) -> None:
    """The tutor goes while a block loops: the server leaves at once and takes the run with it."""
    pids = tmp_path / "pids"
    hang = f"import os\nopen({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{os.getppid()}}')\n" \
           "def forward(self, h):\n    while True:\n        pass\n"
    warm = RunnerSession().start()
    assert warm.wait_ready()
    looping = BlockRun(inplace_lesson, hang, session=warm, limits=RunLimits(timeout_s=600))
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(looping.wait)
        deadline = time.monotonic() + 60  # a bound for a busy machine, not a speed claim
        while not pids.exists() or not pids.read_text():
            assert time.monotonic() < deadline, "the block never started"
            time.sleep(0.05)
        worker, supervisor = map(int, pids.read_text().split())
        server = warm.server_pid
        warm.close()
        while any(alive(pid) for pid in (worker, supervisor)) and time.monotonic() < deadline:
            time.sleep(0.05)
        looping.cancel()  # the run would go on cold, as after any loss of the server
        assert not alive(worker) and not alive(supervisor) and server is not None and not alive(server)
        with pytest.raises(RunCancelled):
            pending.result()


def test_the_tutors_process_never_imports_torch_while_running_warm(inplace_lesson) -> None:
    code = ("import sys\nfrom tutor.core.course import load_course\nfrom tutor.core.runner import run_block\n"
            "from tutor.core.warm import RunnerSession\nlesson = load_course().get('inplace-residual')\n"
            "with RunnerSession() as s:\n    r = run_block(lesson, lesson.code.fix, session=s)\n"
            "print(r.status.value, r.evidence['runner'], 'torch' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.stdout.split() == ["passed", "warm", "False"], done.stderr


def test_a_stopped_server_is_replaced_at_once_and_the_run_goes_cold_without_a_false_timeout(inplace_lesson) -> None:
    with RunnerSession() as warm:
        assert warm.wait_ready()
        server = warm.server_pid
        assert server is not None
        os.kill(server, signal.SIGSTOP)
        try:
            result = run_block(inplace_lesson, inplace_lesson.code.fix, session=warm, limits=RunLimits(timeout_s=30))
        finally:
            if alive(server):
                os.kill(server, signal.SIGCONT)
        assert result.passed, result.message
        assert result.evidence["runner"] == "cold"
        assert result.evidence["runner_fallback"] == "no_answer"
        assert "did not answer" in (runner_note(result, "en") or "")
        assert not alive(server)  # replaced, not waited on
        assert warm.wait_ready() and warm.server_pid not in (None, server)


def test_a_server_stopped_in_the_middle_of_a_run_means_a_cold_run_too(inplace_lesson, tmp_path: Path) -> None:
    started = tmp_path / "started"
    block = (f"import os, signal, time\nopen({str(started)!r}, 'w').write('x')\n"
             "time.sleep(1)\n" + inplace_lesson.code.fix)
    with RunnerSession() as warm:
        assert warm.wait_ready()
        server = warm.server_pid
        assert server is not None

        def stop_the_server_once_the_block_runs() -> None:
            for _ in range(600):
                if started.exists():
                    os.kill(server, signal.SIGSTOP)
                    return
                time.sleep(0.01)

        stopper = threading.Thread(target=stop_the_server_once_the_block_runs)
        stopper.start()
        try:
            result = run_block(inplace_lesson, block, session=warm, limits=RunLimits(timeout_s=30))
        finally:
            stopper.join()
            if alive(server):
                os.kill(server, signal.SIGCONT)
        assert result.passed, result.message
        assert result.evidence["runner"] == "cold"
