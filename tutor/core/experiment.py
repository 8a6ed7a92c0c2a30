"""An experiment: the mini-GPT trained for N steps with one variant of a lesson's block.

The sandboxed child trains and writes its files into its scratch folder; the tutor adds
what the run's stderr says (the diagnosis) and keeps them in the experiment's folder:

- `outcome.json`: what happened (an `ExperimentOutcome`);
- `losses.json`: the loss of every step that finished, a JSON list;
- `gradients.npz`: the gradients of the last step, one array per parameter that has one;
- `gradients_first.npz`: those of the first step, where every variant starts from the same
  weights and the same batch, so a difference there is the variant's alone.

Two folders are compared without torch: numpy reads the gradients.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from tutor.core.results import DEFAULT_ATOL, RTOL, Diagnosis, TensorComparison

if TYPE_CHECKING:
    import numpy

EXPERIMENT_JOB = "experiment.json"
PROGRESS = "progress.txt"  # "step loss" lines, appended by the child as it trains
STDERR = "stderr.txt"
FILE_SIZE_MB = 64  # no file the child writes may grow past this
CHILD_OUTCOME = "child_outcome.json"
OUTCOME = "outcome.json"
LOSSES = "losses.json"
GRADIENTS = "gradients.npz"
FIRST_GRADIENTS = "gradients_first.npz"
KEPT_FILES = (LOSSES, GRADIENTS, FIRST_GRADIENTS)  # copied from the scratch folder, next to outcome.json

# At this rate and batch size the control's curve is smooth enough that a silent break
# (a block that never learns) ends measurably behind it within a few hundred steps.
BATCH_SIZE = 16
LEARNING_RATE = 3e-3

Variant = str  # "control", "break", or the path of a learner's block


class ExperimentJob(BaseModel):
    lesson: str
    target: str  # "minigpt.module:Class.method"
    replace_target: bool  # False for the control: minigpt's own function runs
    steps: int
    seed: int
    n_layer: int = 1
    detect_anomaly: bool = False
    memory_mb: int


class ChildOutcome(BaseModel):
    """What the child saw; torch's error itself is on its stderr."""

    status: Literal["finished", "raised", "invalid"]
    steps_done: int = 0
    phase: str | None = None  # where it raised: "forward", "backward", "step"
    exception: str | None = None
    detail: str | None = None  # why the block is invalid
    parameters: list[str] = Field(default_factory=list)  # every parameter of the model, in order


class ExperimentOutcome(BaseModel):
    lesson: str
    variant: Variant
    status: Literal["finished", "raised", "invalid", "timeout", "crashed"]
    steps: int  # asked for
    steps_done: int
    seed: int
    detect_anomaly: bool
    final_loss: float | None = None  # mean loss of the last tenth of the steps
    phase: str | None = None
    exception: str | None = None
    error: str | None = None  # torch's message (or why the block is invalid)
    diagnosis: Diagnosis | None = None
    parameters: list[str] = Field(default_factory=list)


def final_loss(losses: list[float]) -> float | None:
    """Single-batch losses are noisy: the mean over the last tenth of the steps."""
    if not losses:
        return None
    window = losses[-max(1, len(losses) // 10):]
    return sum(window) / len(window)


@dataclass
class Experiment:
    folder: Path
    outcome: ExperimentOutcome
    losses: list[float]
    gradients: dict[str, numpy.ndarray]  # the last step's; parameters without a gradient are absent
    first_gradients: dict[str, numpy.ndarray]  # the first step's


class ExperimentError(Exception):
    """The folder does not hold an experiment."""


def load_experiment(folder: Path) -> Experiment:
    try:
        outcome = ExperimentOutcome.model_validate_json((folder / OUTCOME).read_text(encoding="utf-8"))
        losses = [float(x) for x in json.loads((folder / LOSSES).read_text(encoding="utf-8"))]
        gradients, first = (_arrays(folder / name) for name in (GRADIENTS, FIRST_GRADIENTS))
    except (OSError, ValueError) as error:
        raise ExperimentError(f"{folder}: not an experiment folder ({error})") from None
    return Experiment(folder, outcome, losses, gradients, first)


def _arrays(path: Path) -> dict[str, numpy.ndarray]:
    """The arrays of an .npz file; none when the run left no file (an invalid block)."""
    import numpy

    if not path.is_file():
        return {}
    with numpy.load(path, allow_pickle=False) as saved:
        return {name: saved[name] for name in saved.files}


def compare_gradients(a: Experiment, b: Experiment, *, first_step: bool = True) -> list[TensorComparison]:
    """Each parameter's gradient in B against A's, A being the reference: at the first
    step by default (same weights, same batch), else at the last step each one reached."""
    import numpy

    names = a.outcome.parameters + [n for n in b.outcome.parameters if n not in a.outcome.parameters]
    reference, compared = (a.first_gradients, b.first_gradients) if first_step else (a.gradients, b.gradients)
    rows = []
    for name in names:
        expected, actual = reference.get(name), compared.get(name)
        if expected is None or actual is None or expected.shape != actual.shape:
            rows.append(TensorComparison(name=name, missing=actual is None and expected is not None,
                                         max_abs_diff=0.0 if expected is None and actual is None else None,
                                         matches=expected is None and actual is None))
            continue
        largest = float(numpy.abs(actual.astype(numpy.float64) - expected).max(initial=0.0))
        scale = float(numpy.abs(expected).max(initial=0.0))
        relative = largest / scale if scale else (0.0 if largest == 0.0 else None)
        close = numpy.allclose(actual, expected, rtol=RTOL, atol=DEFAULT_ATOL)  # as a lesson's check
        rows.append(TensorComparison(name=name, max_abs_diff=largest, rel_diff=relative, matches=bool(close)))
    return rows
