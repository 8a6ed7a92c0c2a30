"""A lesson's scenario, run as the control or with the learner's block, and what it saw as bytes.

The run is never compared here: the worker that holds the learner's block could change
any code of its own process, so it only reports. While the block runs, minigpt's own
version of the target is nowhere it can be reached by name: the block must write it.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from types import CodeType

import torch

from tutor.core.graph import AutogradGraph
from tutor.core.job import Job, RawResult, TensorInfo
from tutor.core.rawresult import encode
from tutor.sandbox import checkpoint_scenarios, forward_scenarios, mode_scenarios, training_scenarios  # noqa: F401  (they register scenarios)
from tutor.sandbox.block import BlockInvalid, Target, learner_line
from tutor.sandbox.graph import GraphCapture
from tutor.sandbox.limits import cap_torch_threads
from tutor.sandbox.observe import OPTIMIZER_SCENARIOS, SCENARIOS, Observation, Phases, Scenario, preload_optimizers
from tutor.sandbox.other_shape import at_other_shape
from tutor.sandbox.returns import ReturnTypes


class UnknownJob(Exception):
    """The lesson names a scenario or a target this tutor does not have."""


def observe(job: Job, code: CodeType | None, progress: Path | None = None) -> bytes:
    """The control's result (no `code`), or the learner's block's, framed for the pipe; the
    scenario's progress appended to `progress`."""
    # The tiny model gains nothing from threads, and forks stay safe; `validate` also proves
    # every claim with 2 threads, as float sums group differently then.
    torch.set_num_threads(job.settings.get("threads", 1))
    cap_torch_threads(torch)
    try:
        run, target = resolve(job)
    except UnknownJob as unknown:
        return encode(RawResult(outcome="error", detail=str(unknown)), [])
    if job.scenario in OPTIMIZER_SCENARIOS:
        preload_optimizers()  # an import, before the scenario's clock starts
    phases = Phases(progress)
    phases.begin()
    returns = ReturnTypes()
    if code is None:
        return control(job, run, target, returns, phases)
    return learner(job, code, run, target, returns, phases)


def resolve(job: Job) -> tuple[Scenario, Target]:
    if job.scenario not in SCENARIOS:
        raise UnknownJob(f"no scenario {job.scenario!r}; there are: {', '.join(sorted(SCENARIOS))}")
    try:
        return SCENARIOS[job.scenario], Target.resolve(job.target)
    except (ImportError, AttributeError, ValueError):
        raise UnknownJob(f"no target {job.target!r} in minigpt") from None


def control(job: Job, run: Scenario, target: Target, returns: ReturnTypes, phases: Phases) -> bytes:
    target.install(returns.recording(target.original))
    try:
        observation = run(job.settings, phases)
        observation.other_shape = at_other_shape(target, job.settings, phases)
    except Exception as error:  # minigpt's own code failed: the lesson cannot be checked
        traceback.print_exc()
        return encode(RawResult(outcome="error", detail=f"the control raised {type(error).__name__}: {error}"[:2000]), [])
    return encoded(observation, returns)


def learner(job: Job, code: CodeType, run: Scenario, target: Target, returns: ReturnTypes, phases: Phases) -> bytes:
    target.hide_original()
    phases("define")
    try:
        function = target.learner_function(code)
    except BlockInvalid as problem:
        return encode(RawResult(outcome="invalid", invalid_reason=problem.reason, detail=problem.detail[:2000]), [])
    except BaseException as error:  # the block's own top-level code raised
        return encode(raised(error, phases), [])
    target.install(returns.recording(function))
    capture = GraphCapture(target.owner, phases, enabled=job.capture_graph)
    try:
        with torch.autograd.set_detect_anomaly(job.detect_anomaly), capture:
            observation = run(job.settings, phases)
            observation.other_shape = at_other_shape(target, job.settings, phases)
    except BaseException as error:  # SystemExit and KeyboardInterrupt from the block are results too
        return encode(raised(error, phases, capture.graph, returns), [])
    return encoded(observation, returns, capture.graph)


def raised(error: BaseException, phases: Phases, graph: AutogradGraph | None = None,
           returns: ReturnTypes | None = None) -> RawResult:
    traceback.print_exception(error, file=sys.stderr)
    sys.stderr.flush()
    return RawResult(outcome="raised", phase=phases.current, exception=type(error).__name__[:200],
                     line=learner_line(error), graph=graph, returns=returns.seen if returns else [])


def encoded(observation: Observation, returns: ReturnTypes, graph: AutogradGraph | None = None) -> bytes:
    infos: list[TensorInfo] = []
    payloads: list[bytes] = []
    groups = (("tensors", observation.tensors), ("outputs", observation.outputs), ("other_shape", observation.other_shape))
    for group, tensors in groups:
        for name, value in tensors.items():
            info, payload = described(name, group, value)
            infos.append(info)
            payloads.append(payload)
    header = RawResult(outcome="observed", subject=observation.subject, tensors=infos, evidence=observation.evidence,
                       graph=graph, returns=returns.seen)
    return encode(header, payloads)


def described(name: str, group: str, value: object) -> tuple[TensorInfo, bytes]:
    """A tensor's description and bytes: float32 or float64 as they are, other floats as float32, integers as int64."""
    if value is None:
        return TensorInfo(name=name, group=group, kind="none"), b""
    if not isinstance(value, torch.Tensor) or value.is_complex():
        return TensorInfo(name=name, group=group, kind="other"), b""
    tensor = value.detach().cpu()
    if tensor.dtype == torch.bool:
        dtype = "bool"
    elif tensor.is_floating_point():
        tensor = tensor if tensor.dtype == torch.float64 else tensor.float()
        dtype = "float64" if tensor.dtype == torch.float64 else "float32"
    else:
        tensor, dtype = tensor.long(), "int64"
    data = tensor.contiguous().numpy().tobytes()
    return TensorInfo(name=name, group=group, dtype=dtype, shape=list(tensor.shape)), data
