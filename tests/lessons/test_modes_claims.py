"""What the train-and-eval-mode lessons claim beyond `validate`, run on real torch.

The figures the stories quote over seeds and CPUs come from one subprocess per kernel
(torch's portable kernels and this CPU's own), which runs every starter at seeds 0 to 4
with 1 and 2 threads from one warm runner; the rest is torch's own behaviour, in process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from minigpt import data, model, train
from minigpt.model import GPTConfig
from tutor.core.course import Course

ESTIMATE = "estimate-in-train-mode"
LEFT_IN_EVAL = "left-in-eval-mode"
FUNCTIONAL = "functional-dropout-always-on"
SWEPT = [ESTIMATE, LEFT_IN_EVAL, FUNCTIONAL]
pytestmark = pytest.mark.timeout(900)  # the sweep's two subprocesses, on a shared machine

# Every starter at seeds 0 to 4 with 1 and 2 threads: status, whether a diagnosis was made,
# how many compared tensors differ of how many, which outputs differ, and the evidence.
_SWEEP = """
import json
from tutor.core.course import load_course
from tutor.core.runner import RunLimits, run_block
from tutor.core.validate import varied
from tutor.core.warm import RunnerSession

course = load_course()
runs = []
with RunnerSession(optimizers=True) as session:
    for lesson_id in %r:
        for seed in range(5):
            for threads in (1, 2):
                lesson = varied(course.get(lesson_id), seed, threads)
                result = run_block(lesson, lesson.code.starter, limits=RunLimits(timeout_s=120), session=session)
                runs.append({"lesson": lesson_id, "status": result.status.value, "diagnosed": result.diagnosis is not None,
                             "differ": sum(not c.matches for c in result.gradients), "compared": len(result.gradients),
                             "message": result.message, "evidence": result.evidence})
print(json.dumps(runs))
""" % (SWEPT,)


@pytest.fixture(scope="module", params=["native", "default"])
def starters(request: pytest.FixtureRequest) -> dict[str, list[dict[str, Any]]]:
    """Each lesson's ten starter runs on one kernel."""
    env = {key: value for key, value in os.environ.items() if key != "ATEN_CPU_CAPABILITY"}
    if request.param != "native":
        env["ATEN_CPU_CAPABILITY"] = request.param
    ran = subprocess.run([sys.executable, "-c", _SWEEP], capture_output=True, text=True, env=env, timeout=900)
    assert ran.returncode == 0, ran.stderr[-2000:]
    runs = json.loads(ran.stdout)
    by_lesson: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        by_lesson.setdefault(run["lesson"], []).append(run)
    assert all(len(lesson_runs) == 10 for lesson_runs in by_lesson.values())
    return by_lesson


def tiny(dropout: float, seed: int = 0) -> model.GPT:
    tokenizer, _ = data.encode_corpus()
    return model.build_model(GPTConfig(**{**vars(GPTConfig.tiny(tokenizer.vocab_size)), "dropout": dropout}), seed)


def batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    _, corpus = data.encode_corpus()
    return data.get_batch(corpus, 4, 8, torch.Generator().manual_seed(seed))


def test_every_starter_raises_nothing_and_still_fails(starters) -> None:
    for lesson_runs in starters.values():
        assert all((run["status"], run["diagnosed"]) == ("failed", False) for run in lesson_runs), lesson_runs


# Lesson 21: estimating the loss in train mode.

def test_the_estimate_is_noisy_where_the_controls_repeats_exactly(starters) -> None:
    for run in starters[ESTIMATE]:
        evidence = run["evidence"]
        assert run["differ"] == 0 and "estimates" in run["message"]  # training itself is the control's
        assert 0.0005 <= evidence["repeat_gap"] <= 0.03  # "0.0005 to 0.03"
        assert evidence["control_repeat_gap"] == 0.0
        assert evidence["mode_restored"] is True  # it never leaves train mode: it never enters eval mode
        assert 3.0 <= evidence["control_eval_loss"] <= 3.45  # the story's "3.0 to 3.45" is this one's, within 0.02
        assert 0 < abs(evidence["eval_loss"] - evidence["control_eval_loss"]) <= 0.02  # "differs by up to 0.02"


def test_no_grad_and_inference_mode_leave_dropout_on() -> None:
    gpt, (x, _) = tiny(0.2), batch()
    for context in (torch.no_grad, torch.inference_mode):
        with context():
            assert not torch.equal(gpt(x)[0], gpt(x)[0])
    gpt.eval()
    with torch.no_grad():
        assert torch.equal(gpt(x)[0], gpt(x)[0])


def test_eval_and_train_switch_every_submodule_and_stay_until_switched_back() -> None:
    gpt = tiny(0.2)
    assert all(module.training for module in gpt.modules())  # built in train mode
    gpt.eval()
    with torch.no_grad():
        gpt(batch()[0])
    assert not any(module.training for module in gpt.modules())
    gpt.train()
    assert all(module.training for module in gpt.modules())


def test_without_dropout_both_modes_compute_the_same() -> None:
    """The "safe" of lessons 21 and 22: at dropout 0.0 the estimate and the gradients do not depend on the mode."""
    _, corpus = data.encode_corpus()
    gpt, (x, y) = tiny(0.0), batch()
    estimates, grads = [], []
    for mode in (True, False):
        gpt.train(mode)
        estimates.append(train.estimate_loss(gpt, corpus, 2, 8, torch.Generator().manual_seed(1)))
        gpt.zero_grad()
        gpt(x, y)[1].backward()
        grads.append(gpt.lm_head.weight.grad.clone())
    assert estimates[0] == estimates[1] and torch.equal(*grads)


# Lesson 22: training left in eval mode.

def test_no_step_trains_in_train_mode_and_every_first_gradient_differs(starters) -> None:
    for run in starters[LEFT_IN_EVAL]:
        evidence = run["evidence"]
        assert (evidence["train_mode_steps"], evidence["control_train_mode_steps"]) == (0, 40)
        assert run["differ"] == run["compared"] == 17  # "every one differs"
        for loss in (evidence["final_loss"], evidence["control_final_loss"]):
            assert 2.9 <= loss <= 3.3  # "about 3.1 (2.9 to 3.3)", the control on either side
    differences = [run["evidence"]["final_loss"] - run["evidence"]["control_final_loss"] for run in starters[LEFT_IN_EVAL]]
    assert min(differences) < 0 < max(differences)


# Lesson 23: functional dropout always on.

def test_training_is_the_controls_and_eval_mode_forwards_differ(starters) -> None:
    for run in starters[FUNCTIONAL]:
        assert run["differ"] == 0 and "eval_logits" in run["message"]  # "the gradients ... every one"
        assert 0.2 <= run["evidence"]["eval_repeat_gap"] <= 0.45  # "0.2 to 0.45"
        assert run["evidence"]["control_eval_repeat_gap"] == 0.0


def test_functional_dropout_drops_by_default_and_rescales_what_it_keeps() -> None:
    h = torch.ones(1000)
    dropped = F.dropout(h, 0.2)  # training=True unless told
    assert set(dropped.unique().tolist()) == {0.0, 1.25}  # zeroed, or scaled by 1 / (1 - p)
    assert torch.equal(F.dropout(h, 0.2, training=False), h)
    assert torch.equal(F.dropout(h, 0.0), h)  # "a rate of 0 ... returns its input"


def test_a_dropout_module_built_in_forward_is_in_train_mode() -> None:
    assert nn.Dropout(0.2).training


@pytest.mark.parametrize("seed", range(5))
def test_the_functional_starter_makes_sampling_unreproducible(course: Course, seed: int,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Lesson 23's "a sample from `generate` has become random", with the starter in place."""
    namespace = dict(vars(model))
    exec(course.get(FUNCTIONAL).code.starter, namespace)
    monkeypatch.setattr(model.MLP, "forward", namespace["forward"])
    gpt = tiny(0.2, seed).eval()
    context = batch(seed)[0][:, :1]
    samples = [gpt.generate(context, 20, torch.Generator().manual_seed(seed)) for _ in range(2)]
    assert not torch.equal(*samples)
    monkeypatch.undo()
    samples = [gpt.generate(context, 20, torch.Generator().manual_seed(seed)) for _ in range(2)]
    assert torch.equal(*samples)
