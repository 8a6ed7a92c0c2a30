"""Scenarios that train the mini-GPT for a few steps.

Each one is compared with the control on what training did, and the losses of the steps
it compares as outputs, so a silent training bug fails the check even when nothing raises. Its
evidence holds the loss curve (`losses`), the loss on a fixed held-out batch after
training (`final_loss`), and which parameters moved at all (`moved`, `frozen`): the
child adds the control's as `control_<key>`.

What is compared depends on the optimizer. Plain SGD scales float noise by the learning
rate, so the parameters after training are compared. AdamW divides each step by the
gradient's own running size: where a gradient is float noise around an exact zero (the
keys' bias: softmax ignores a shift shared by every key), it takes learning-rate-sized
steps in random directions, and two equally correct blocks end training apart there.
Such a step changes the gradients that follow only a little, but training is chaotic: over
200 steps that little grows to a tenth of a gradient's size at some seeds. So the AdamW
scenarios compare the gradients the optimizer was given at its first two steps
(`OptimizerLog`), each tensor within a share of its own scale: the first from the very
state the control starts from, the second after one update, where a gradient kept from
one step to the next, or a first step out of scale, shows. Every break of the course
shows there; the whole run stays in the evidence.
"""

from __future__ import annotations

import copy
import math
import warnings
from collections.abc import Callable
from typing import Any

import torch

from torch.optim.optimizer import register_optimizer_step_pre_hook

from minigpt import data, train
from minigpt.model import GPT
from tutor.sandbox.observe import (Observation, Phases, Settings, builds_optimizer, held_out_loss, scenario,
                                   significant, tiny_model)

Batches = Callable[[], tuple[torch.Tensor, torch.Tensor]]

# An untrained model's loss is about ln(59) = 4.1; a run that ends 25 times above it has
# destroyed the model, whether or not it has reached inf or nan yet.
DIVERGED_LOSS = 100.0


def fresh_model(settings: Settings) -> tuple[GPT, Batches]:
    """The lesson's seeded model and a seeded stream of training batches."""
    gpt, _, _ = tiny_model(settings)
    _, corpus = data.encode_corpus()
    generator = torch.Generator().manual_seed(settings.get("seed", 0))
    batch_size = settings.get("batch_size", 4)

    def next_batch() -> tuple[torch.Tensor, torch.Tensor]:
        return data.get_batch(corpus, batch_size, gpt.config.block_size, generator)

    return gpt, next_batch


def optimizer_for(gpt: GPT, settings: Settings, lr: float | None = None) -> torch.optim.Optimizer:
    """AdamW (what `minigpt.train` uses) or plain SGD, as the lesson's settings ask."""
    rate = settings.get("lr", 1e-2) if lr is None else lr
    if settings.get("optimizer", "adamw") == "sgd":
        return torch.optim.SGD(gpt.parameters(), lr=rate)
    return torch.optim.AdamW(gpt.parameters(), lr=rate)


def rounded(value: float) -> float | None:
    """A loss fit for evidence: 4 places, or None once training has blown up to inf/nan."""
    return round(value, 4) if math.isfinite(value) else None


COMPARED_STEPS = 2  # the optimizer steps whose gradients are compared, from the first


class OptimizerLog:
    """The gradient of each of the model's parameters as `optimizer.step()` received it, at
    the compared steps, whoever built the optimizer; and how many steps ran, told to `phase`."""

    def __init__(self, gpt: GPT, steps: int, phase: Phases) -> None:
        self.parameters = list(gpt.named_parameters())
        self.total = steps
        self.phase = phase
        self.steps = 0
        self.gradients: dict[str, list[torch.Tensor | None]] = {name: [] for name, _ in self.parameters}
        self.learning_rates: list[float] = []  # each step's, as its optimizer's first group held it

    def __enter__(self) -> OptimizerLog:
        self._hook = register_optimizer_step_pre_hook(self._before_step)
        return self

    def __exit__(self, *_: object) -> None:
        self._hook.remove()

    def _before_step(self, optimizer: torch.optim.Optimizer, *_: object) -> None:
        self.learning_rates.append(float(optimizer.param_groups[0]["lr"]))
        if self.steps < COMPARED_STEPS:
            for name, parameter in self.parameters:
                grad = parameter.grad
                self.gradients[name].append(None if grad is None else grad.detach().clone())
        self.steps += 1
        self.phase.steps_done(self.steps, self.total)

    def observation(self, trained: Observation) -> Observation:
        """`trained`, holding these gradients (a parameter that lacked one at a compared step
        has none), and as outputs the losses of those steps and the number of steps."""
        stacked = {name: _stacked(grads) for name, grads in self.gradients.items()}
        outputs = {"losses": trained.outputs["losses"][:COMPARED_STEPS], "optimizer_steps": torch.tensor(self.steps)}
        return Observation("training", stacked, outputs, trained.evidence)


def _stacked(gradients: list[torch.Tensor | None]) -> torch.Tensor | None:
    """One tensor, a row per compared step; None if no step ran or one had no gradient."""
    present = [grad for grad in gradients if grad is not None]
    return torch.stack(present) if present and len(present) == len(gradients) else None


def snapshot(gpt: GPT) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in gpt.named_parameters()}


def trained(gpt: GPT, before: dict[str, torch.Tensor], losses: list[float], settings: Settings,
            **evidence: Any) -> Observation:
    """The observation every training scenario returns."""
    after = snapshot(gpt)
    frozen = sorted(name for name, value in after.items() if torch.equal(value, before[name]))
    return Observation(
        "parameters",
        after,
        {"losses": torch.tensor(losses, dtype=torch.float64)},
        {
            "losses": [rounded(loss) for loss in losses],
            "final_loss": held_out_loss(gpt, data.encode_corpus()[1], 16,
                                        torch.Generator().manual_seed(settings.get("seed", 0) + 1000)),
            "moved": len(after) - len(frozen),
            "frozen": frozen,
            **evidence,
        },
    )


@scenario
@builds_optimizer
def train_steps(settings: Settings, phase: Phases) -> Observation:
    """`train.train_step` called once per batch: the lesson replaces the step itself."""
    return stepped(*fresh_model(settings), settings, phase)


def stepped(gpt: GPT, next_batch: Batches, settings: Settings, phase: Phases,
            optimizer: torch.optim.Optimizer | None = None) -> Observation:
    """`gpt` trained by `train.train_step` on `next_batch`, with `optimizer` if given, else
    the lesson's."""
    optimizer = optimizer or optimizer_for(gpt, settings)
    before = snapshot(gpt)
    phase("train")
    steps = settings.get("steps", 40)
    with OptimizerLog(gpt, steps, phase) as log:
        losses = [train.train_step(gpt, optimizer, *next_batch()) for _ in range(steps)]
    return log.observation(trained(gpt, before, losses, settings))


@scenario
@builds_optimizer
def train_loop(settings: Settings, phase: Phases) -> Observation:
    """The whole loop, `train.train`, as the lesson's learner rewrites it."""
    gpt, _, _ = tiny_model(settings)
    _, corpus = data.encode_corpus()
    before = snapshot(gpt)
    phase("train")
    steps = settings.get("steps", 40)
    with OptimizerLog(gpt, steps, phase) as log:
        losses = train.train(gpt, corpus, steps, batch_size=settings.get("batch_size", 4),
                             lr=settings.get("lr", 1e-2), seed=settings.get("seed", 0))
    return log.observation(trained(gpt, before, [float(loss) for loss in losses], settings))


@scenario
def manual_sgd(settings: Settings, phase: Phases) -> Observation:
    """Forward, backward, then `train.sgd_step`: gradient descent written out by hand."""
    gpt, next_batch = fresh_model(settings)
    before = snapshot(gpt)
    losses = []
    steps = settings.get("steps", 40)
    for step in range(steps):
        x, y = next_batch()
        phase("forward")
        _, loss = gpt(x, y)
        phase.backward(loss)
        loss.backward()
        phase("step")
        train.sgd_step(gpt, settings.get("lr", 0.1))
        gpt.zero_grad(set_to_none=True)
        losses.append(loss.item())
        phase.steps_done(step + 1, steps)
    return trained(gpt, before, losses, settings)


@scenario
@builds_optimizer
def accumulation(settings: Settings, phase: Phases) -> Observation:
    """A probe, then SGD training, both through `train.train_step`.

    The probe calls the step twice on one batch with a learning rate of 0, so the
    parameters stay put and the second gradient can be set against the first:
    `gradient_ratio` is 1.0 when each step starts from zero, 2.0 when they pile up.
    """
    probe_model, next_batch = fresh_model(settings)
    probe = optimizer_for(probe_model, {"optimizer": "sgd"}, lr=0.0)
    x, y = next_batch()
    phase("probe")
    train.train_step(probe_model, probe, x, y)
    first = probe_model.lm_head.weight.grad
    first = None if first is None else first.clone()
    train.train_step(probe_model, probe, x, y)
    second = probe_model.lm_head.weight.grad
    ratio = None if first is None or second is None else round((second.norm() / first.norm()).item(), 4)

    gpt, next_batch = fresh_model(settings)
    optimizer = optimizer_for(gpt, settings)
    before = snapshot(gpt)
    phase("train")
    steps = settings.get("steps", 40)
    losses = []
    for step in range(steps):
        losses.append(train.train_step(gpt, optimizer, *next_batch()))
        phase.steps_done(step + 1, steps)
    diverged = not losses[-1] <= DIVERGED_LOSS  # nan compares False: it counts as diverged
    return trained(gpt, before, losses, settings, gradient_ratio=ratio, diverged=diverged)


@scenario
@builds_optimizer
def amp_training(settings: Settings, phase: Phases) -> Observation:
    """`train.amp_train_step` once per batch, with the lesson's optimizer and a fresh
    GradScaler. Evidence: the norm of the gradients the optimizer was given at its first
    step (`step_gradient_norm`), which the step's clipping holds to at most 1.0."""
    gpt, next_batch = fresh_model(settings)
    optimizer = optimizer_for(gpt, settings)
    scaler = torch.amp.GradScaler("cpu")
    before = snapshot(gpt)
    phase("train")
    steps = settings.get("steps", 40)
    with OptimizerLog(gpt, steps, phase) as log:
        losses = [train.amp_train_step(gpt, optimizer, scaler, *next_batch()) for _ in range(steps)]
    return log.observation(trained(gpt, before, losses, settings, **_applied_norm(log)))


def _applied_norm(log: OptimizerLog) -> dict[str, float | None]:
    """`step_gradient_norm`; no fact at all when the first step was given no gradient: there is no norm to tell."""
    norm = _first_step_norm(log)
    return {} if norm is None else {"step_gradient_norm": significant(norm)}


def _first_step_norm(log: OptimizerLog) -> float | None:
    """The total norm of the gradients the first step was given, None if it was given none."""
    first = [grads[0] for grads in log.gradients.values() if grads and grads[0] is not None]
    return torch.linalg.vector_norm(torch.cat([g.flatten() for g in first])).item() if first else None


# The optimiser's step: clipping, a schedule, a new layer, accumulation.

@scenario
@builds_optimizer
def clipped_training(settings: Settings, phase: Phases) -> Observation:
    """`train.clipped_train_step` once per batch. Evidence: the norm of the gradients the
    first step applied (`step_gradient_norm`, at most `max_norm` when the clip works), and
    whether training blew up at a learning rate only the clip makes safe (`diverged`)."""
    gpt, next_batch = fresh_model(settings)
    optimizer = optimizer_for(gpt, settings)
    before = snapshot(gpt)
    phase("train")
    steps = settings.get("steps", 40)
    with OptimizerLog(gpt, steps, phase) as log:
        losses = [train.clipped_train_step(gpt, optimizer, *next_batch()) for _ in range(steps)]
    return log.observation(trained(gpt, before, losses, settings, diverged=_diverged(losses), **_applied_norm(log)))


def _diverged(losses: list[float]) -> bool:
    return not losses[-1] <= DIVERGED_LOSS  # nan compares False: it counts as diverged


@scenario
@builds_optimizer
def scheduled_training(settings: Settings, phase: Phases) -> Observation:
    """`train.scheduled_train_step` once per batch, with a schedule that warms the learning rate
    up linearly over the first `warmup` steps (the first step at lr / warmup). Evidence: the
    learning rate of the first and last steps, as the optimizer held it when it stepped, and
    the warnings the steps raised (`warnings`, the first one's own words as `warning`). The
    rate of every step is compared with the control's, with the gradients of the first two."""
    gpt, next_batch = fresh_model(settings)
    optimizer = optimizer_for(gpt, settings)
    warmup = settings.get("warmup", 10)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / warmup))
    before = snapshot(gpt)
    phase("train")
    steps = settings.get("steps", 40)
    with OptimizerLog(gpt, steps, phase) as log, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # every warning of this run, even one this process gave before
        losses = [train.scheduled_train_step(gpt, optimizer, scheduler, *next_batch()) for _ in range(steps)]
    rates = {"first_learning_rate": significant(log.learning_rates[0]),
             "last_learning_rate": significant(log.learning_rates[-1])} if log.learning_rates else {}
    said = {"warning": str(caught[0].message)} if caught else {}
    observation = log.observation(trained(gpt, before, losses, settings, **rates, warnings=len(caught), **said))
    # compared too: a rate that goes wrong only after the compared steps still fails
    observation.outputs["learning_rates"] = torch.tensor(log.learning_rates, dtype=torch.float64)
    return observation


@scenario
@builds_optimizer
def new_head_training(settings: Settings, phase: Phases) -> Observation:
    """`train.new_head_optimizer` on a fresh model, then `train.train_step` once per batch with
    the optimizer it returned. The global seed is set just before it, so a new layer starts
    from the same values in every run."""
    gpt, next_batch = fresh_model(settings)
    torch.manual_seed(settings.get("seed", 0))
    phase("setup")  # the block runs here, before any step
    optimizer = train.new_head_optimizer(gpt, settings.get("lr", 1e-2))
    return stepped(gpt, next_batch, settings, phase, optimizer)  # from the model as it now is, new layer included


@scenario
@builds_optimizer
def accumulated_training(settings: Settings, phase: Phases) -> Observation:
    """`train.accumulated_train_step` once per batch, over `micro_steps` micro-batches.
    Evidence: the gradient the first step was given over the gradient of one backward on
    its whole batch (`accumulation_ratio`, by their norms: 1.0 when they agree), and
    whether training blew up (`diverged`)."""
    gpt, next_batch = fresh_model(settings)
    optimizer = optimizer_for(gpt, settings)
    micro_steps = settings.get("micro_steps", 4)
    steps = settings.get("steps", 40)
    batches = [next_batch() for _ in range(steps)]
    whole = _whole_batch_gradient_norm(gpt, *batches[0])
    before = snapshot(gpt)
    phase("train")
    with OptimizerLog(gpt, steps, phase) as log:
        losses = [train.accumulated_train_step(gpt, optimizer, x, y, micro_steps) for x, y in batches]
    applied = _first_step_norm(log)
    ratio = None if applied is None else significant(applied / whole)
    return log.observation(trained(gpt, before, losses, settings, accumulation_ratio=ratio,
                                   diverged=_diverged(losses)))


def _whole_batch_gradient_norm(gpt: GPT, x: torch.Tensor, y: torch.Tensor) -> float:
    """The total norm of the gradient of one backward over the whole batch, on a copy of the model."""
    twin = copy.deepcopy(gpt)
    _, loss = twin(x, y)
    loss.backward()
    return torch.linalg.vector_norm(torch.cat([p.grad.flatten() for p in twin.parameters()])).item()


@scenario
@builds_optimizer
def tied_training(settings: Settings, phase: Phases) -> Observation:
    """`train_steps` on a model built with `lm_head` tied to `tok_emb`, from the same start.

    Every tensor the model holds is first set from the seed, the head's from the embedding
    table's, so a model that ties in another order, or initialises otherwise, starts where
    the control does: what can differ is only what is shared. Evidence: whether the two are
    still one Parameter after training (`one_parameter`) and the largest difference between
    their values then (`tie_gap`)."""
    gpt, next_batch = fresh_model({**settings, "tie_weights": True})
    same_start(gpt, settings.get("seed", 0))
    observation = stepped(gpt, next_batch, settings, phase)
    head, table = gpt.lm_head.weight, gpt.tok_emb.weight
    observation.evidence["one_parameter"] = head is table
    observation.evidence["tie_gap"] = significant((head - table).abs().max().item())
    return observation


@torch.no_grad()
def same_start(gpt: GPT, seed: int) -> None:
    """Every matrix drawn from `seed` as the model's init draws it (LayerNorms and biases keep
    their ones and zeros), and the head given the embedding table's values, tied or not."""
    generator = torch.Generator().manual_seed(seed)
    for name, parameter in gpt.named_parameters():  # a shared tensor once
        if parameter.dim() >= 2 and name != "lm_head.weight":
            parameter.normal_(0.0, 0.02, generator=generator)
    if gpt.lm_head.weight is not gpt.tok_emb.weight:
        gpt.lm_head.weight.copy_(gpt.tok_emb.weight)
