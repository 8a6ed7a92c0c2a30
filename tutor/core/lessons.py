"""The lesson schema: frozen pydantic models for one break of the mini-GPT.

Reading files lives in `course.py`; this module only says what a lesson is.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal, TypeGuard

from pydantic import BaseModel, ConfigDict, Field, RootModel, field_validator, model_validator

from tutor.core.results import DEFAULT_ATOL, DiagnosisKind, Status

REQUIRED_LANGUAGE = "en"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Text(RootModel[dict[str, str]]):
    """Learner-facing text in several languages; English is required."""

    model_config = ConfigDict(frozen=True)

    @field_validator("root")
    @classmethod
    def _english_and_no_blanks(cls, value: dict[str, str]) -> dict[str, str]:
        if REQUIRED_LANGUAGE not in value:
            raise ValueError(f"needs an {REQUIRED_LANGUAGE!r} text")
        blank = [code for code, text in value.items() if not text.strip()]
        if blank:
            raise ValueError(f"empty text for {', '.join(blank)}")
        return value

    def get(self, language: str) -> str:
        return self.root.get(language) or self.root[REQUIRED_LANGUAGE]

    @property
    def languages(self) -> set[str]:
        return set(self.root)


class Story(Frozen):
    """The seed's structure, field by field."""

    symptom: Text  # what the learner will see
    mechanism: Text  # the break, mechanically
    why: Text  # why it teaches
    ladder: Text  # the diagnostic ladder
    fix: Text
    safe: Text  # when the pattern IS safe
    not_this: Text  # what the break is NOT


class Hints(Frozen):
    mild: Text  # asks the right question
    medium: Text  # points to the place
    direct: Text  # gives the fix

    def rungs(self) -> list[Text]:
        return [self.mild, self.medium, self.direct]


class Code(Frozen):
    starter: str  # the broken block, as the editor first holds it
    fix: str  # the reference fix
    also_correct: list[str] = Field(default_factory=list)  # other forms that must pass


class ExpectedDiagnosis(Frozen):
    """The fields of torch's error that the starter must produce."""

    kind: DiagnosisKind
    exception: str | None = None
    tensor_type: str | None = None
    dtype: str | None = None
    shape: list[int] | None = None
    op: str | None = None
    output_index: int | None = None
    version_found: int | None = None
    version_expected: int | None = None
    missing_keys: list[str] | None = None
    unexpected_keys: list[str] | None = None
    refused_global: str | None = None


class Bound(Frozen):
    """A claim about a measured number that holds on any CPU, thread count and seed: a
    range, or a ratio to the control's value of the same measure (`control_<name>`).

    Float results change with the CPU's kernels, the thread count and the seed, so a
    lesson never claims a measured number exactly."""

    min: float | None = None
    max: float | None = None
    min_times_control: float | None = None  # at least this many times the control's value
    max_times_control: float | None = None  # at most this many times the control's value

    @model_validator(mode="after")
    def _bounds_something(self) -> Bound:
        if all(limit is None for limit in (self.min, self.max, self.min_times_control, self.max_times_control)):
            raise ValueError("a bound needs min, max, min_times_control or max_times_control")
        return self

    def problem(self, value: object, control: object) -> str | None:
        """What is wrong with `value`, the control's value of the same measure beside it; None if it holds."""
        if not _is_number(value):
            return f"is {value!r}, expected a number"
        if self.min is not None and value < self.min:
            return f"is {value:g}, expected at least {self.min:g}"
        if self.max is not None and value > self.max:
            return f"is {value:g}, expected at most {self.max:g}"
        if self.min_times_control is None and self.max_times_control is None:
            return None
        if not _is_number(control):
            return f"is {value:g}, and the control has no value to compare with ({control!r})"
        if self.min_times_control is not None and value < self.min_times_control * control:
            return f"is {value:g}, expected at least {self.min_times_control:g} x the control's {control:g}"
        if self.max_times_control is not None and value > self.max_times_control * control:
            return f"is {value:g}, expected at most {self.max_times_control:g} x the control's {control:g}"
        return None


def _is_number(value: object) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# An exact fact (a count, a flag, parameter names) or a bound on a measured number.
EvidenceClaim = Bound | bool | int | str | list[str]


class Expectation(Frozen):
    """What the starter does: an error with its key fields, or a silent symptom."""

    status: Literal[Status.FAILED, Status.INVALID] = Status.FAILED
    diagnosis: ExpectedDiagnosis | None = None
    missing: list[str] = Field(default_factory=list)  # tensors the control has and the starter lacks
    differ: list[str] = Field(default_factory=list)  # tensors whose values differ from the control's
    evidence: dict[str, EvidenceClaim] = Field(default_factory=dict)  # scenario facts, e.g. {"causal_leak": true}

    @model_validator(mode="after")
    def _says_something(self) -> Expectation:
        if self.diagnosis is None and not (self.missing or self.differ or self.evidence):
            raise ValueError("declare the starter's error (diagnosis) or its silent symptom (missing, differ, evidence)")
        return self


class WrongFix(Frozen):
    code: str
    why: Text  # why it looks right and is not
    expect: Expectation | None = None  # what it does instead, when the lesson's text claims it


class Check(Frozen):
    """How a pass is decided: the learner's block against the control on one scenario."""

    scenario: str  # a name registered in tutor.sandbox.observe.SCENARIOS
    tolerance: float = Field(default=DEFAULT_ATOL, gt=0)  # allclose's atol; its rtol is RTOL
    settings: dict[str, Any] = Field(default_factory=dict)  # seed, batch size, steps...


_TARGET = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)?$")
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")  # a lesson's or a topic's id


class Lesson(Frozen):
    format_version: Literal[1]
    id: str
    order: int  # its place within its topic
    topic: str  # the id of a topic of the course map (topics.py)
    title: Text
    target: str  # "module:function" or "module:Class.method" of minigpt
    story: Story
    hints: Hints
    code: Code
    wrong_fixes: list[WrongFix] = Field(min_length=1)
    expect: Expectation
    check: Check

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError("use lowercase letters, digits and single dashes, e.g. 'inplace-residual'")
        return value

    @field_validator("target")
    @classmethod
    def _target_form(cls, value: str) -> str:
        if not _TARGET.match(value) or not value.startswith("minigpt."):
            raise ValueError("write 'minigpt.module:function' or 'minigpt.module:Class.method'")
        return value

    @property
    def target_qualname(self) -> str:
        return self.target.split(":")[1]

    @property
    def function_name(self) -> str:
        """The name the learner's block must define."""
        return self.target_qualname.rsplit(".", 1)[-1]
