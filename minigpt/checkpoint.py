"""Saving a training run and resuming it, as nanoGPT does.

A checkpoint holds what a resumed run needs to continue exactly where the saved
one stopped: the parameters, the optimizer's state (AdamW's running averages and
step counts: without them the steps after resuming differ), the config the model
was built from, and the step reached.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from minigpt.model import GPT


def save_checkpoint(path: str | Path, model: GPT, optimizer: torch.optim.Optimizer, step: int) -> None:
    """Write the model, the optimizer, the model's config and `step` to `path`."""
    checkpoint = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        # plain values, not the dataclass: a weights-only load accepts nothing else
        "config": dataclasses.asdict(model.config),
        "step": step,
    }
    torch.save(checkpoint, path)


def load_checkpoint(path: str | Path, model: GPT, optimizer: torch.optim.Optimizer | None = None) -> int:
    """Restore `model`, and `optimizer` if given, from `path`; returns the step it was saved at."""
    # weights_only: unpickle tensors and plain containers, never code an attacker could plant
    checkpoint = torch.load(path, weights_only=True)
    # strict: a key missing or left over raises, instead of leaving a parameter as initialised
    model.load_state_dict(checkpoint["model"], strict=True)
    if optimizer is not None:
        optimizer.load_state_dict(checkpoint["optimizer"])
    return checkpoint["step"]
