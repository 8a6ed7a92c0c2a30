"""The runner's own paths: timeout, invalid blocks, captured output, closed stdin."""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

import pytest

from tutor.core.results import Status
from tutor.core.runner import BlockRun, RunCancelled, RunLimits, run_block

FORWARD = "def forward(self, h):\n"


def test_an_endless_loop_times_out(inplace_lesson) -> None:
    result = run_block(inplace_lesson, FORWARD + "    while True:\n        pass\n", limits=RunLimits(timeout_s=3))
    assert result.status is Status.TIMEOUT
    assert "3 s" in result.message
    assert "endless loop?" in result.message  # nothing progressed


SLOW_TRAIN_STEP = """
def train_step(model, optimizer, x, y):
    import time
    time.sleep(0.5)
    optimizer.zero_grad()
    _, loss = model(x, y)
    loss.backward()
    optimizer.step()
    return loss.item()
"""


def test_a_training_run_that_times_out_says_how_far_it_got(course) -> None:
    result = run_block(course.get("no-grad-forward"), SLOW_TRAIN_STEP, limits=RunLimits(timeout_s=3))
    assert result.status is Status.TIMEOUT
    done = int(result.message.split("stopped at step ")[1].split(" of 30 after 3 s")[0])
    assert 1 <= done < 30
    assert "endless loop" not in result.message


def test_the_timeout_counts_the_scenario_not_a_fresh_interpreters_imports(inplace_lesson) -> None:
    # A cold run starts an interpreter and imports torch (over a second) before its scenario
    # (tens of milliseconds): with a 1 s timeout it passes all the same.
    result = run_block(inplace_lesson, inplace_lesson.code.fix, limits=RunLimits(timeout_s=1))
    assert result.status is Status.PASSED, result.message


def test_a_run_whose_scenario_never_began_says_so_not_endless_loop(inplace_lesson, monkeypatch) -> None:
    # The scenario begins once the block is compiled: 400,000 lines take far longer to
    # compile than this run's 0.2 s before its scenario must begin.
    monkeypatch.setattr("tutor.core.runner.PREPARE_S", -0.8)
    block = inplace_lesson.code.fix + "x = 1\n" * 400_000
    result = run_block(inplace_lesson, block, limits=RunLimits(timeout_s=1))
    assert result.status is Status.TIMEOUT
    assert "before the lesson's run began" in result.message
    assert "endless loop" not in result.message


def test_a_syntax_error_is_invalid_with_the_learners_line(inplace_lesson) -> None:
    result = run_block(inplace_lesson, FORWARD + "    h = h +\n    return h\n")
    assert result.status is Status.INVALID
    assert result.message.startswith("line 2:")
    assert "SyntaxError" in result.message


def test_non_utf8_bytes_are_invalid(inplace_lesson) -> None:
    result = run_block(inplace_lesson, FORWARD.encode() + b"    return h  # \xff\xfe\n")
    assert result.status is Status.INVALID
    assert "UTF-8" in result.message
    assert "line 2" in result.message


def test_a_block_without_the_target_is_invalid(inplace_lesson) -> None:
    result = run_block(inplace_lesson, "def forwrd(self, h):\n    return h\n")
    assert result.status is Status.INVALID
    assert "`forward`" in result.message


def test_a_changed_signature_is_invalid(inplace_lesson) -> None:
    result = run_block(inplace_lesson, "def forward(self, h, extra):\n    return h\n")
    assert result.status is Status.INVALID
    assert "forward(self, h)" in result.message


def test_output_is_captured_and_capped(inplace_lesson) -> None:
    limit = 64 * 1024
    block = "print('first line')\nprint('x' * 2_000_000)\nprint('last line')\n" + inplace_lesson.code.fix
    result = run_block(inplace_lesson, block, limits=RunLimits(output_bytes=limit))
    assert result.passed
    assert result.stdout.startswith("first line")
    assert result.stdout.rstrip().endswith("last line")
    assert "bytes of output not kept" in result.stdout
    assert len(result.stdout) < 2 * limit


def test_stdin_is_closed_so_input_cannot_wait(inplace_lesson) -> None:
    block = "def forward(self, h):\n    input('name? ')\n    return h\n"
    result = run_block(inplace_lesson, block, limits=RunLimits(timeout_s=5))
    assert result.status is Status.FAILED
    assert "EOFError" in result.message


def test_runs_in_a_scratch_directory_that_is_removed(inplace_lesson, tmp_path) -> None:
    block = "import os\nprint(os.getcwd())\n" + inplace_lesson.code.fix
    result = run_block(inplace_lesson, block)
    scratch = result.stdout.strip().splitlines()[0]
    assert "minigpt-tutor-run-" in scratch
    assert not os.path.exists(scratch)


def test_cancel_from_another_thread_stops_the_run_and_all_it_started(inplace_lesson, tmp_path) -> None:
    pids = tmp_path / "pids"
    block = (f"import os, subprocess\nchild = subprocess.Popen(['sleep', '600'], start_new_session=True)\n"
             f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{os.getppid()}} {{child.pid}}')\n"
             "def forward(self, h):\n    while True:\n        pass\n")
    run = BlockRun(inplace_lesson, block, limits=RunLimits(timeout_s=60))

    def cancel_once_started() -> None:
        for _ in range(600):  # bounded: until the block has run its top level
            if pids.exists() and len(pids.read_text().split()) == 3:
                break
            time.sleep(0.05)
        run.cancel()

    canceller = threading.Thread(target=cancel_once_started)
    canceller.start()
    with pytest.raises(RunCancelled):
        run.wait()
    canceller.join()
    for pid in map(int, pids.read_text().split()):
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_a_folder_the_block_locked_is_removed_with_the_scratch(inplace_lesson) -> None:
    block = ("import os\nos.makedirs('locked/inner')\nopen('locked/inner/f', 'w').write('x')\n"
             "os.chmod('locked/inner', 0)\nos.chmod('locked', 0)\nprint(os.getcwd())\n" + inplace_lesson.code.fix)
    result = run_block(inplace_lesson, block)
    assert result.passed, result.message
    assert not os.path.exists(result.stdout.strip().splitlines()[0])


def test_a_byte_order_mark_is_accepted_as_python_does(inplace_lesson) -> None:
    result = run_block(inplace_lesson, "\ufeff" + inplace_lesson.code.fix)
    assert result.passed, result.message


@pytest.mark.parametrize("change, says", [({"scenario": "no_such_scenario"}, "no scenario 'no_such_scenario'"),
                                          ({"target": "minigpt.model:Block.no_such"}, "no target")],
                         ids=["scenario", "target"])
def test_an_unknown_scenario_or_target_is_an_error_not_a_crash(inplace_lesson, change, says) -> None:
    if "scenario" in change:
        lesson = inplace_lesson.model_copy(update={"check": inplace_lesson.check.model_copy(update=change)})
    else:
        lesson = inplace_lesson.model_copy(update=change)
    result = run_block(lesson, inplace_lesson.code.fix)
    assert result.status is Status.ERROR
    assert says in result.message


@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), 0.0, -1.0, 1e9])
def test_a_timeout_must_be_finite_and_sane(seconds: float) -> None:
    with pytest.raises(ValueError, match="a timeout is a number of seconds"):
        RunLimits(timeout_s=seconds)


def test_a_run_the_tutor_cannot_start_is_an_error_not_the_blocks_fault(inplace_lesson, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "gone"))  # no room for a scratch folder
    result = run_block(inplace_lesson, inplace_lesson.code.fix)
    assert result.status is Status.ERROR
    assert result.message.startswith("the tutor could not start this run") and "not run" in result.message
