"""Blocks that still hold the lesson's bug and try to forge a pass: none passes.

Each is the in-place lesson's starter (its bug intact) plus one trick. The verdict is
decided in the tutor's process against a control from another run, so what the block
changes in its own process, writes in its scratch folder or sends down its result pipe
can make it fail, crash or stop, never pass.
"""

from __future__ import annotations

import resource
from collections.abc import Callable
from pathlib import Path

import pytest

from hostile_blocks import PASSING_REPORT, RESULT_FD, SPARSE_RESULT

from tests.processes import alive
from tutor.core.results import RunResult, Status
from tutor.core.runner import RunLimits, run_block

FORGE_RESULT = RESULT_FD + """
def _forge(tensors):
    import os
    from tutor.core.job import RawResult, TensorInfo
    from tutor.core.rawresult import encode
    infos = [TensorInfo(name=name, group='tensors', shape=list(t.shape)) for name, t in tensors.items()]
    data = encode(RawResult(outcome='observed', tensors=infos), [t.detach().float().numpy().tobytes() for t in tensors.values()])
    fd = _result_fd()
    os.write(fd, data)
    os._exit(0)
"""

FORGERIES: dict[str, str] = {
    "report.json, then os._exit(0)":
        f"import os\nopen('report.json', 'w').write({PASSING_REPORT!r})\nos._exit(0)\n",
    "a report with zero comparisons, then exit 3":
        "import os\nopen('report.json', 'w').write('{\"outcome\": \"compared\", \"comparisons\": []}')\nos._exit(3)\n",
    "a forged result with zero tensors, then exit 0":
        FORGE_RESULT + "_forge({})\n",
    "a forged result of zeros for every parameter":
        FORGE_RESULT + "import torch\nfrom minigpt import data, model\n"
        "_gpt = model.build_model(model.GPTConfig.tiny(data.encode_corpus()[0].vocab_size), seed=0)\n"
        "_forge({name: torch.zeros_like(p) for name, p in _gpt.named_parameters()})\n",
    "replacing the comparison":
        "import tutor.core.closeness as c, tutor.core.verdict as v\nfrom tutor.core.results import TensorComparison\n"
        "c.compare_one = lambda name, *a, **k: TensorComparison(name=name, max_abs_diff=0.0, matches=True)\n"
        "v.compare_all = lambda control, *a, **k: [c.compare_one(n) for n in control]\n"
        "import tutor.sandbox.scenarios as s\ns.compare = s.compare_one = lambda *a, **k: []\n",
    "torch.allclose = lambda *a, **k: True":
        "import torch\ntorch.allclose = lambda *a, **k: True\ntorch.equal = lambda *a, **k: True\n",
    "patching backward and the comparison together":
        "import torch\ntorch.Tensor.backward = lambda self, *a, **k: None\ntorch.allclose = lambda *a, **k: True\n",
    "overwriting every tensor of the run with the learner's":
        "import gc, torch\nimport tutor.sandbox.observe as o\n_real = o.Observation.__init__\n"
        "def _same(self, subject, tensors, *rest):\n"
        "    for t in gc.get_objects():\n"
        "        if isinstance(t, torch.Tensor) and t.dtype.is_floating_point:\n"
        "            with torch.no_grad(): t.zero_()\n"
        "    _real(self, subject, {k: None if v is None else torch.zeros_like(v) for k, v in tensors.items()}, *rest)\n"
        "o.Observation.__init__ = _same\n",
    "killing the supervisor, then writing a report and a result":
        FORGE_RESULT + "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
        f"open('report.json', 'w').write({PASSING_REPORT!r})\n_forge({{}})\n",
    "forward = Block.forward":
        "from minigpt.model import Block\nforward = Block.forward\n",
    "the original, fetched from the class's dict":
        "import minigpt.model as m\n_own = m.Block.__dict__['forward']\ndef forward(self, h):\n    return _own(self, h)\n",
}


@pytest.fixture(scope="module", params=["cold", "warm"])
def run(request, inplace_lesson, session) -> Callable[[str], RunResult]:
    chosen = session if request.param == "warm" else None
    return lambda block: run_block(inplace_lesson, block, session=chosen, limits=RunLimits(timeout_s=20))


@pytest.mark.parametrize("trick", sorted(FORGERIES))
def test_a_forged_pass_does_not_pass(trick: str, run, inplace_lesson) -> None:
    block = FORGERIES[trick] + inplace_lesson.code.starter
    result = run(block)
    assert result.status is not Status.PASSED, result.message
    assert result.status in (Status.FAILED, Status.CRASHED), result.message


def test_forward_from_the_class_meets_a_stand_in_that_says_why(run, inplace_lesson) -> None:
    result = run("from minigpt.model import Block\nforward = Block.forward\n")
    assert result.status is Status.FAILED
    assert "not available to your block" in result.stderr


def test_a_zero_comparison_result_fails_as_missing_tensors(run, inplace_lesson) -> None:
    result = run(FORGE_RESULT + "_forge({})\n" + inplace_lesson.code.fix)
    assert result.status is Status.FAILED
    assert "17 of 17" in result.message and all(c.missing for c in result.gradients)


DAEMON = """import os, time
if os.fork() == 0:  # a daemon that outlives its supervisor and writes reports into the runs after
    os.setsid()
    if os.fork() == 0:
        open({pids!r}, 'a').write(f'{{os.getpid()}}\\n')
        import glob, json
        while True:
            for folder in glob.glob('/tmp/minigpt-tutor-run-*'):
                try:
                    open(folder + '/report.json', 'w').write({report!r})
                except OSError:
                    pass
            time.sleep(0.01)
    os._exit(0)
time.sleep(0.5)
os.kill(os.getppid(), 9)
"""


def test_a_daemon_that_kills_its_supervisor_dies_with_the_run_and_spoils_no_later_run(run, inplace_lesson,
                                                                                       tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    result = run(DAEMON.format(pids=str(pids), report=PASSING_REPORT) + inplace_lesson.code.starter)
    assert result.status is Status.CRASHED, result.message
    daemon = [int(pid) for pid in pids.read_text().split()]
    assert daemon and not any(alive(pid) for pid in daemon)
    later = run(inplace_lesson.code.starter)
    assert later.status is Status.FAILED, later.message


def test_a_2_gib_result_is_refused_and_the_tutor_reads_at_most_its_cap(run, inplace_lesson) -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = run("import os as _o\n" + SPARSE_RESULT + inplace_lesson.code.fix)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result.status is Status.CRASHED
    assert "larger than 16 MB" in result.message
    assert grown_mb < 100


def test_report_json_pointing_at_a_sparse_file_is_ignored(run, inplace_lesson) -> None:
    block = ("import os\nwith open('huge', 'wb') as f:\n    f.truncate(2 * 2**30)\nos.symlink('huge', 'report.json')\n")
    result = run(block + inplace_lesson.code.starter)
    assert result.status is Status.FAILED  # the starter's own verdict: the folder is never read
    assert "modified in place" in result.message


@pytest.mark.parametrize("sent, says", [
    (b"not a result at all", "does not start as a result does"),
    (b"minigpt-tutor result 1\n\x00\x00\x00\x04\xff\xfe\xfd\xfc", "header is not valid"),
    (b"minigpt-tutor result 1\n\x7f\xff\xff\xff{}", "header is longer than the result"),
], ids=["not a result", "non-UTF-8 header", "a header length past the end"])
def test_a_malformed_result_is_a_clear_status(run, inplace_lesson, sent: bytes, says: str) -> None:
    block = RESULT_FD + f"import os\nos.write(_result_fd(), {sent!r})\nos._exit(0)\n" + inplace_lesson.code.fix
    result = run(block)
    assert result.status is Status.CRASHED
    assert says in result.message
