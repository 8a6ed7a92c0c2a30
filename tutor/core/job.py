"""The protocol between the tutor and a sandboxed run: a job in, a raw result out.

The job reaches the run over a pipe or the warm runner's socket, never through the
scratch folder (the block can write there). Its `kind` says which worker the supervisor
runs. A check's result comes back over a pipe the tutor reads with a byte cap
(tutor/core/rawresult.py frames it): only what the run saw, the tensors and the evidence
of the lesson's scenario. The tutor compares those with the control's, which a run that
never held the learner's block computed: no verdict is decided where learner code runs.
An experiment (tutor/sandbox/experiment.py) decides nothing either: it leaves its losses
and gradients in the scratch folder, for tutor/core/experiment.py to keep.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter

from tutor.core.graph import AutogradGraph

BLOCK_FILENAME = "learner_block.py"
JOB_BYTES = 1 << 20  # a job is a few hundred bytes; more is not a job
RESULT_BYTES = 16 << 20  # a lesson's result is about 240 KB (more with its autograd graph)

Role = Literal["control", "learner"]
InvalidReason = Literal["encoding", "syntax", "missing_target", "not_callable", "signature", "return_type"]
DType = Literal["float32", "float64", "int64", "bool"]
# what a result's tensors are: gradients of one backward, parameters after training, the
# gradients the first AdamW steps were given (stacked, a row per step), a generation's, the
# parameters a checkpoint's loader left in the model, or those after resuming training from it
Subject = Literal["gradients", "parameters", "training", "generation", "loaded"]
# Every check also runs its target with this many sequences of this many tokens (below the
# lesson preset's block_size of 8), so that a fix right at one shape only fails.
OTHER_SHAPE = (3, 5)
# A run appends "done total" lines here as its scenario goes; its first line says the
# scenario has started, and the run's timeout counts from then.
PROGRESS_FILENAME = "progress.txt"
# Before that first line, a run may spend this long on imports a fork or a fresh
# interpreter still needs (torch._dynamo for an optimizer, on a busy machine).
PREPARE_S = 30.0


class Job(BaseModel):
    """A check: the lesson's scenario, with the learner's block or as the control."""

    kind: Literal["check"] = "check"
    role: Role = "learner"  # "control": minigpt's own function, and no block at all
    lesson: str
    target: str  # "minigpt.module:Class.method"
    scenario: str
    settings: dict[str, Any] = Field(default_factory=dict)
    detect_anomaly: bool = False
    capture_graph: bool = False  # describe the autograd graph just before the first backward
    memory_mb: int  # address-space limit the worker sets on itself
    timeout_s: float | None = None  # the run's own deadline, should the tutor vanish mid-run

    def control(self) -> Job:
        """The same scenario with minigpt's own function: what the learner's run is held against."""
        return self.model_copy(update={"role": "control", "detect_anomaly": False, "capture_graph": False})

    def control_key(self) -> str:
        """What the control's result depends on: runs of one lesson share it."""
        return json.dumps([self.target, self.scenario, self.settings], sort_keys=True)


class ExperimentJob(BaseModel):
    """The mini-GPT trained for `steps` with the control or a block in place of the target."""

    kind: Literal["experiment"] = "experiment"
    lesson: str
    target: str  # "minigpt.module:Class.method"
    replace_target: bool  # False for the control: minigpt's own function runs
    steps: int
    seed: int
    n_layer: int = 1
    detect_anomaly: bool = False
    memory_mb: int  # address-space limit the worker sets on itself
    timeout_s: float | None = None  # the run's own deadline, should the tutor vanish mid-run


AnyJob = Job | ExperimentJob
_ANY_JOB: TypeAdapter[AnyJob] = TypeAdapter(Annotated[AnyJob, Field(discriminator="kind")])


def parse_job(data: object) -> AnyJob:
    """A job of either kind, from its JSON object (raises ValueError if it is neither)."""
    return _ANY_JOB.validate_python(data)


class TensorInfo(BaseModel):
    """One tensor of a result: its bytes follow the header, in order."""

    name: str = Field(max_length=200)
    # compared tensors (gradients, parameters...), outputs (loss, logits...), or both at OTHER_SHAPE
    group: Literal["tensors", "outputs", "other_shape"]
    kind: Literal["tensor", "none", "other"] = "tensor"  # "none": absent (a gradient never made); "other": not a tensor
    dtype: DType = "float32"
    shape: list[int] = Field(default_factory=list, max_length=8)


class RawResult(BaseModel):
    """What one run saw, and nothing judged: the tutor decides the verdict."""

    outcome: Literal["observed", "raised", "invalid", "error"]
    phase: str | None = Field(default=None, max_length=50)  # where the learner's run raised: "forward", ...
    exception: str | None = Field(default=None, max_length=200)  # the class name of what was raised
    invalid_reason: InvalidReason | None = None
    detail: str | None = Field(default=None, max_length=2000)  # a SyntaxError's text, an expected signature...
    line: int | None = None  # a line of the learner's block
    subject: Subject = "gradients"
    tensors: list[TensorInfo] = Field(default_factory=list, max_length=4096)
    evidence: dict[str, Any] = Field(default_factory=dict)
    graph: AutogradGraph | None = None  # the learner's graph, when the job asked for it
    # per call of the target, the names of the returned value's type and its bases
    returns: list[list[str]] = Field(default_factory=list, max_length=256)
