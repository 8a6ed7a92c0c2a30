"""An experiment: the mini-GPT trained for N steps with one variant of a lesson's block.

`ExperimentRun` runs it through the same pipeline as a check (tutor/core/runner.py: the
same runners, supervisor and limits). The sandboxed worker (tutor/sandbox/experiment.py)
trains and writes its files into the scratch folder; the tutor adds what the run's stderr
says (the diagnosis) and keeps them in the experiment's folder:

- `outcome.json`: what happened (an `ExperimentOutcome`);
- `losses.json`: the loss of every step that finished, a JSON list;
- `gradients.npz`: the gradients of the last step, one array per parameter that has one;
- `gradients_first.npz`: those of the first step, where every variant starts from the same
  weights and the same batch, so a difference there is the variant's alone.

Two folders are compared without torch: numpy reads the gradients.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from tutor.core.diagnose import diagnose
from tutor.core.files import UnreadableFile, last_line_fields, read_regular_file
from tutor.core.job import ExperimentJob
from tutor.core.launch import Launcher
from tutor.core.results import DEFAULT_ATOL, RTOL, Diagnosis, TensorComparison
from tutor.core.runner import RunLimits, SandboxRun
from tutor.core.warm import RunnerSession

if TYPE_CHECKING:
    import numpy

PROGRESS = "progress.txt"  # "step loss" lines, appended by the worker as it trains
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


# Steps done and the last loss, as the worker reports them while it trains.
Progress = Callable[[int, float | None], None]


class ExperimentRun(SandboxRun[ExperimentOutcome]):
    """Train in the sandbox and keep what happened in `out`; `progress` hears of the steps as they finish."""

    def __init__(self, job: ExperimentJob, block: bytes | None, variant: Variant, out: Path, *, limits: RunLimits,
                 progress: Progress | None = None, session: RunnerSession | None = None) -> None:
        super().__init__(limits, session)
        self.job = job.model_copy(update={"memory_mb": limits.memory_mb, "timeout_s": limits.timeout_s})
        self.block = block
        self.variant = variant
        self.out = out
        self.progress = progress

    def wait(self) -> ExperimentOutcome:
        """Raises RunnerUnavailable when no runner took it, OSError when it could not start."""
        return self._run()[0]

    def _attempt(self, launch: Launcher) -> ExperimentOutcome:
        with self._started(launch, [(self.job, self.block)]) as (run,):
            deadline = time.monotonic() + self.limits.timeout_s
            self._wait_for(run, lambda: deadline, lambda: self._tell(run.scratch))
            self._tell(run.scratch)
            outcome = outcome_of(run.scratch, self.job, self.variant, run.returncode is not None, run.stderr.text())
            keep(run.scratch, self.out, outcome)
        return outcome

    def _tell(self, scratch: Path) -> None:
        if self.progress is not None:
            self.progress(*read_progress(scratch / PROGRESS))


def written(path: Path) -> bytes | None:
    """A file the worker wrote into its scratch folder, None if it wrote none. The block can
    write there too: never through a symlink, never past the size cap, regular files only."""
    if not os.path.lexists(path):
        return None
    if path.is_symlink():
        raise UnreadableFile(f"{path.name}: is a symlink, not a file the run wrote")
    return read_regular_file(path, FILE_SIZE_MB << 20)


def read_progress(path: Path) -> tuple[int, float | None]:
    """Steps done and the last loss, from the worker's "step loss" lines."""
    fields = [] if path.is_symlink() else last_line_fields(path, FILE_SIZE_MB << 20)
    try:
        step, loss = fields
        return int(step), float(loss)
    except ValueError:  # no line, or not one the worker wrote
        return 0, None


def outcome_of(scratch: Path, job: ExperimentJob, variant: Variant, finished: bool, stderr: str) -> ExperimentOutcome:
    common = dict(lesson=job.lesson, variant=variant, steps=job.steps, seed=job.seed, detect_anomaly=job.detect_anomaly,
                  steps_done=0)
    try:
        losses = [float(loss) for loss in json.loads(written(scratch / LOSSES) or b"[]")]
        report = written(scratch / CHILD_OUTCOME)
        child = None if report is None else ChildOutcome.model_validate_json(report)
    except (ValueError, TypeError) as error:  # UnreadableFile, bad JSON: the block wrote over the run's files
        return ExperimentOutcome(status="crashed", error=f"the run's files cannot be trusted: {error}", **common)
    common.update(steps_done=len(losses), final_loss=final_loss(losses))
    if not finished:
        return ExperimentOutcome(status="timeout", **common)
    if child is None:
        return ExperimentOutcome(status="crashed", error=stderr.strip()[-2000:] or None, **common)
    if child.status == "raised":
        diagnosis = diagnose(stderr)
        return ExperimentOutcome(status="raised", phase=child.phase, exception=child.exception,
                                 error=diagnosis.message, diagnosis=diagnosis, parameters=child.parameters, **common)
    return ExperimentOutcome(status=child.status, error=child.detail, parameters=child.parameters, **common)


def keep(scratch: Path, out: Path, outcome: ExperimentOutcome) -> None:
    """The experiment's files, from the scratch folder into `out`, with its outcome."""
    out.mkdir(parents=True, exist_ok=True)
    for name in KEPT_FILES:
        kept = out / name
        try:
            data = written(scratch / name)
        except UnreadableFile:
            data = None  # the outcome already says the run's files cannot be trusted
        if data is not None:
            kept.write_bytes(data)
        elif kept.exists():
            kept.unlink()  # left by an earlier experiment in the same folder
    if not (out / LOSSES).is_file():
        (out / LOSSES).write_text("[]", encoding="utf-8")
    (out / OUTCOME).write_text(outcome.model_dump_json(indent=2), encoding="utf-8")


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
