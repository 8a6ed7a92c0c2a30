"""The protocol between the tutor and its sandboxed child: a job in, a report out.

Both are JSON files in the run's scratch folder, so nothing the learner prints
can be mistaken for the result.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from tutor.core.graph import AutogradGraph
from tutor.core.results import TensorComparison

BLOCK_FILENAME = "learner_block.py"
JOB_FILENAME = "job.json"
REPORT_FILENAME = "report.json"

InvalidReason = Literal["encoding", "syntax", "missing_target", "not_callable", "signature", "return_type"]


class Job(BaseModel):
    lesson: str
    target: str  # "minigpt.module:Class.method"
    scenario: str
    settings: dict[str, Any] = Field(default_factory=dict)
    tolerance: float
    detect_anomaly: bool = False
    capture_graph: bool = False  # describe the autograd graph just before the first backward
    memory_mb: int  # address-space limit the child sets on itself
    timeout_s: float | None = None  # the run's own deadline, should the tutor vanish mid-run


class ChildReport(BaseModel):
    """What the child saw; the tutor turns it into a verdict in the learner's language."""

    outcome: Literal["compared", "raised", "invalid"]
    phase: str | None = None  # where the learner's run raised: "forward", "backward", ...
    exception: str | None = None  # the class name of what was raised
    invalid_reason: InvalidReason | None = None
    detail: str | None = None  # e.g. the SyntaxError's text, or the expected signature
    line: int | None = None  # a line of the learner's block
    subject: str = "gradients"  # what the comparisons compare: a `subject.*` key of the catalogue
    comparisons: list[TensorComparison] = Field(default_factory=list)
    outputs: list[TensorComparison] = Field(default_factory=list)  # loss, logits...
    evidence: dict[str, Any] = Field(default_factory=dict)
    graph: AutogradGraph | None = None  # the learner's graph, when the job asked for it
