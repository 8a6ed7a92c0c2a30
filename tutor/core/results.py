"""What a run produces: the JSON contracts of `check` and `diagnose`.

The tutor builds a `RunResult` from the raw results its runs send back (tutor/core/rawresult.py)
and the learner's stderr (tutor/core/verdict.py); `check --json` prints it. They hold only
plain data and catalogue wordings.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

from tutor.core.graph import AutogradGraph
from tutor.core.i18n import Wording
from tutor.core.job import Subject

# Every comparison with the control is allclose(learner, control, rtol=RTOL, atol=the lesson's tolerance).
RTOL = 1e-5
DEFAULT_ATOL = 1e-6
# What training produced is also allowed a share of each tensor's largest magnitude: the
# gradients two equally correct blocks give AdamW's first steps, and their parameters after
# 40 to 100 SGD steps, differ by under a fifth of it; a silent break, by most of it
# (tests/lessons/test_claims_anywhere.py asserts both at seeds 0 to 4).
SCALE_RTOL = {"training": 1e-2, "parameters": 1e-2}


class Status(str, Enum):
    PASSED = "passed"  # the check proved the fix
    FAILED = "failed"  # ran (or raised) and the check did not pass
    INVALID = "invalid"  # does not compile, or does not define the target
    TIMEOUT = "timeout"
    CRASHED = "crashed"  # the child died without a result
    ERROR = "error"  # the tutor itself could not run the lesson


class DiagnosisKind(str, Enum):
    INPLACE_VERSION = "inplace_version"
    LEAF_INPLACE = "leaf_inplace"
    VIEW_LEAF_INPLACE = "view_leaf_inplace"
    SHAPE_MISMATCH = "shape_mismatch"
    VIEW_STRIDE = "view_stride"
    RESHAPE_INVALID = "reshape_invalid"
    DTYPE_MISMATCH = "dtype_mismatch"
    DEVICE_MISMATCH = "device_mismatch"
    INDEX_ERROR = "index_error"
    BACKWARD_TWICE = "backward_twice"
    NO_GRAD_FN = "no_grad_fn"
    NONSCALAR_BACKWARD = "nonscalar_backward"
    DEVICE_ASSERT = "device_assert"  # a GPU kernel's assertion, with no line saying which
    VALUE_OVERFLOW = "value_overflow"  # a number past the range of a tensor's type (a mask's -1e9 in float16)
    STATE_DICT_MISMATCH = "state_dict_mismatch"  # a strict load_state_dict: keys missing from, or left over in, the dict
    WEIGHTS_ONLY_REFUSED = "weights_only_refused"  # torch.load(weights_only=True) met an object it does not allow
    UNKNOWN = "unknown"


class Diagnosis(BaseModel):
    """torch's error, read into fields. Absent fields are None, never guessed."""

    model_config = ConfigDict(frozen=True)

    kind: DiagnosisKind = DiagnosisKind.UNKNOWN
    exception: str | None = None  # e.g. "RuntimeError"
    tensor_type: str | None = None  # e.g. "torch.FloatTensor"
    dtype: str | None = None  # the scalar type a value did not fit, without its namespace: "Half"
    shape: list[int] | None = None  # [] for a 0-d tensor
    op: str | None = None  # e.g. "Add" (no Backward0 suffix)
    printed_op: str | None = None  # the node as torch printed it, e.g. "TBackward0"
    output_index: int | None = None
    version_found: int | None = None
    version_expected: int | None = None
    failed_backward: str | None = None  # anomaly mode only, e.g. "NativeLayerNormBackward0"
    missing_keys: list[str] | None = None  # the model's keys the state dict lacks, e.g. ["blocks.0.ln1.weight"]
    unexpected_keys: list[str] | None = None  # the state dict's keys the model does not have
    refused_global: str | None = None  # what a weights-only load refused, e.g. "minigpt.model.GPTConfig"
    line: int | None = None  # line of the learner's block
    message: str | None = None  # torch's message, verbatim


class TensorComparison(BaseModel):
    """One tensor of the learner's run set against the control's."""

    model_config = ConfigDict(frozen=True)

    name: str
    max_abs_diff: float | None = None  # None when missing on one side
    rel_diff: float | None = None  # max_abs_diff over the control's largest magnitude
    missing: bool = False
    matches: bool = False  # within the lesson's tolerance


class RunResult(BaseModel):
    """The outcome of one check of a learner's block: the `check --json` contract (README, "The
    `check` and `diagnose` contracts"), whose `message` the front end says in the learner's language."""

    lesson: str
    status: Status
    message: str  # `wording` said in English, for logs and validate's report
    wording: Wording | None = Field(default=None, exclude=True)
    diagnosis: Diagnosis | None = None
    # what `gradients` compares: the gradients of one step, the parameters after training, or those
    # and the sampled tokens; None when nothing was compared (the run raised, or never ran)
    subject: Subject | None = None
    gradients: list[TensorComparison] = Field(default_factory=list)
    evidence: dict[str, object] = Field(default_factory=dict)
    duration_s: float = 0.0
    stdout: str = ""
    stderr: str = ""
    # only when the run asked for it (`graph`); not part of the check contract
    graph: AutogradGraph | None = Field(default=None, exclude=True)

    @property
    def passed(self) -> bool:
        return self.status is Status.PASSED

    def contract_json(self) -> str:
        """The `check --json` object: the contract plus evidence, without raw output."""
        return self.model_dump_json(exclude={"stdout", "stderr"})
