"""What scenarios share: the registry, the phases, the observation, the lesson preset.

A scenario builds everything from the lesson's settings and a fixed seed, so the
control run and the learner's run see the same model and the same batch; only the
target function differs. It calls minigpt through module attributes (`data.get_batch`),
so a target the learner replaced is the one that runs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from minigpt import data, model
from minigpt.model import GPT

Settings = dict[str, Any]


class Phases:
    """Remembers which step of a scenario is running, to say where an error came from.

    Scenarios call `phases.backward(loss)` just before `loss.backward()`, so that
    listeners (e.g. the graph view) can look at the graph while it is still whole, and
    `phases.steps_done(done, total)` after each training step: the tutor reads those lines
    (`progress`) to start the run's clock and to say how far a run that timed out got.
    """

    def __init__(self, progress: Path | None = None) -> None:
        self.current = "setup"
        self.before_backward: list[Callable[[torch.Tensor], None]] = []
        self._progress = None if progress is None else progress.open("a", encoding="utf-8", buffering=1)

    def begin(self) -> None:
        """The scenario starts: every import is done, and the run's timeout counts from here."""
        self.steps_done(0, 0)

    def steps_done(self, done: int, total: int) -> None:
        if self._progress is not None:
            self._progress.write(f"{done} {total}\n")

    def __call__(self, name: str) -> None:
        self.current = name

    def backward(self, loss: torch.Tensor) -> None:
        self.current = "backward"
        for listener in self.before_backward:
            listener(loss)


@dataclass
class Observation:
    subject: str  # what `tensors` holds: a `tutor.core.job.Subject`
    tensors: dict[str, torch.Tensor | None]
    outputs: dict[str, torch.Tensor] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)
    other_shape: dict[str, torch.Tensor | None] = field(default_factory=dict)  # the target at OTHER_SHAPE


Scenario = Callable[[Settings, Phases], Observation]
SCENARIOS: dict[str, Scenario] = {}


# Scenarios that build a torch.optim optimizer, whose first construction imports
# torch._dynamo (about 800 modules): the warm runner preloads it once one of them runs.
OPTIMIZER_SCENARIOS: set[str] = set()


def scenario(function: Scenario) -> Scenario:
    SCENARIOS[function.__name__] = function
    return function


def builds_optimizer(function: Scenario) -> Scenario:
    OPTIMIZER_SCENARIOS.add(function.__name__)
    return function


def preload_optimizers() -> None:
    """What the first torch.optim optimizer imports (torch._dynamo, about 800 modules and
    80 MB): only in sessions whose lessons train, so the others stay small."""
    import torch._dynamo  # noqa: F401


# A lesson's `autocast` setting: the forward runs under CPU autocast in that type.
_AUTOCAST = {"float16": torch.float16, "bfloat16": torch.bfloat16}


def autocast(settings: Settings) -> contextlib.AbstractContextManager[object]:
    """CPU autocast in the lesson's `autocast` type, or nothing for a lesson without one."""
    name = settings.get("autocast")
    return contextlib.nullcontext() if name is None else torch.autocast("cpu", dtype=_AUTOCAST[name])


def tiny_model(settings: Settings) -> tuple[GPT, torch.Tensor, torch.Tensor]:
    """The lesson preset (with the lesson's `dropout`, if any), a seeded model and one seeded
    batch from the shipped corpus."""
    tokenizer, corpus = data.encode_corpus()
    config = dataclasses.replace(model.GPTConfig.tiny(tokenizer.vocab_size), n_layer=settings.get("n_layer", 1),
                                 dropout=settings.get("dropout", 0.0),
                                 tie_weights=settings.get("tie_weights", False))
    gpt = model.build_model(config, seed=settings.get("seed", 0))
    generator = torch.Generator().manual_seed(settings.get("seed", 0))
    batch_size = settings.get("batch_size", 1)
    x, y = data.get_batch(corpus, batch_size, settings.get("block_size", config.block_size), generator)
    return gpt, x, y


def significant(value: float) -> float | None:
    """A measured size fit for evidence: 4 significant digits, or None if it was inf or nan."""
    return float(f"{value:.4g}") if math.isfinite(value) else None


@torch.no_grad()
def held_out_loss(gpt: GPT, stream: torch.Tensor, windows: int, generator: torch.Generator) -> float | None:
    """The loss on `windows` windows of `stream` that no training step drew, to 2 places
    (exact evidence for a lesson); None once training has blown up to inf or nan."""
    x, y = data.get_batch(stream, windows, gpt.config.block_size, generator)
    _, loss = gpt(x, y)
    value = loss.item()
    return round(value, 2) if math.isfinite(value) else None
