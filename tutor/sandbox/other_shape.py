"""Every check's second shape: fewer tokens than `block_size`, and more than one sequence.

A scenario runs at the lesson's own shape (mostly T = block_size), where a fix right at
that shape only passes: a causal mask not sliced to T, a view with the block size
written in, one sequence taken for the batch. So after the scenario, the same target
runs once more at `OTHER_SHAPE` on a fresh seeded model, and what it gives is compared
with the control's in a group of its own, for a verdict that names the shape.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from minigpt import train
from minigpt.model import GPT
from tutor.core.job import OTHER_SHAPE
from tutor.sandbox.block import Target
from tutor.sandbox.forward_scenarios import Tensors, one_backward
from tutor.sandbox.observe import Phases, Settings, tiny_model
from tutor.sandbox.training_scenarios import same_start


def at_other_shape(target: Target, settings: Settings, phase: Phases) -> Tensors:
    """What the target gives at the other shape; nothing for a target without a shape of
    its own (`sgd_step` walks the parameters, `train` takes its batches from its caller)."""
    module = target.module.__name__
    probe = _PROBES.get(f"{module}:{target.name}", _backward if module == "minigpt.model" else None)
    if probe is None:
        return {}
    phase("other_shape")
    batch_size, length = OTHER_SHAPE
    gpt, x, y = tiny_model({**settings, "batch_size": batch_size, "block_size": length})
    return probe(gpt, x, y, settings)


def _backward(gpt: GPT, x: torch.Tensor, y: torch.Tensor, settings: Settings) -> Tensors:
    """One forward (under the lesson's autocast, if any) and backward: every parameter's
    gradient, the logits and the loss."""
    grads, outputs = one_backward(gpt, x, y, settings)
    return {**grads, **outputs}


def _backward_from_same_start(gpt: GPT, x: torch.Tensor, y: torch.Tensor, settings: Settings) -> Tensors:
    """`_backward` on a model set to the seed's start as `tied_training` sets it: the model's
    constructor is the target, and only what it shares must matter."""
    same_start(gpt, settings.get("seed", 0))
    return _backward(gpt, x, y, settings)


def _after_one_step(gpt: GPT, loss: float) -> Tensors:
    """The parameters after a step, and its loss."""
    return {**{name: p.detach() for name, p in gpt.named_parameters()}, "loss": torch.tensor(float(loss))}


def _train_step(gpt: GPT, x: torch.Tensor, y: torch.Tensor, settings: Settings) -> Tensors:
    """One step with plain SGD, whose update adds no noise of its own: the parameters after it, and the loss."""
    return _after_one_step(gpt, train.train_step(gpt, torch.optim.SGD(gpt.parameters(), lr=0.1), x, y))


def _amp_train_step(gpt: GPT, x: torch.Tensor, y: torch.Tensor, settings: Settings) -> Tensors:
    """One mixed-precision step with plain SGD and a fresh GradScaler: the parameters after it, and the loss."""
    scaler = torch.amp.GradScaler("cpu")
    return _after_one_step(gpt, train.amp_train_step(gpt, torch.optim.SGD(gpt.parameters(), lr=0.1), scaler, x, y))


def _clipped_train_step(gpt: GPT, x: torch.Tensor, y: torch.Tensor, settings: Settings) -> Tensors:
    """One clipped step with plain SGD: the parameters after it, and the loss."""
    return _after_one_step(gpt, train.clipped_train_step(gpt, torch.optim.SGD(gpt.parameters(), lr=0.1), x, y))


def _scheduled_train_step(gpt: GPT, x: torch.Tensor, y: torch.Tensor, settings: Settings) -> Tensors:
    """One step with plain SGD on a schedule that halves the rate at each step: the parameters, and the loss."""
    optimizer = torch.optim.SGD(gpt.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    return _after_one_step(gpt, train.scheduled_train_step(gpt, optimizer, scheduler, x, y))


def _accumulated_train_step(gpt: GPT, x: torch.Tensor, y: torch.Tensor, settings: Settings) -> Tensors:
    """One step with plain SGD, one micro-batch per sequence: the parameters after it, and the loss."""
    optimizer = torch.optim.SGD(gpt.parameters(), lr=0.1)
    return _after_one_step(gpt, train.accumulated_train_step(gpt, optimizer, x, y, x.size(0)))


def _generate(gpt: GPT, x: torch.Tensor, y: torch.Tensor, settings: Settings) -> Tensors:
    """Every sequence of the batch continued to the length the lesson's own run reaches (its
    one-token context and `new_tokens`): the tokens."""
    generator = torch.Generator().manual_seed(settings.get("seed", 0))
    new_tokens = max(1 + settings["new_tokens"] - x.size(1), 1)
    with torch.no_grad():
        tokens = gpt.generate(x, new_tokens, generator)
    return {"tokens": tokens}


_PROBES: dict[str, Callable[[GPT, torch.Tensor, torch.Tensor, Settings], Tensors]] = {
    "minigpt.data:get_batch": _backward,  # `tiny_model` draws the batch through it
    "minigpt.model:generate": _generate,
    "minigpt.model:__init__": _backward_from_same_start,  # GPT.__init__
    "minigpt.train:train_step": _train_step,
    "minigpt.train:amp_train_step": _amp_train_step,
    "minigpt.train:clipped_train_step": _clipped_train_step,
    "minigpt.train:scheduled_train_step": _scheduled_train_step,
    "minigpt.train:accumulated_train_step": _accumulated_train_step,
}
