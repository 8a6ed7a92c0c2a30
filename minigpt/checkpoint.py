"""Saving a training run and resuming it, as nanoGPT does.

A checkpoint holds what a resumed run needs to continue exactly where the saved
one stopped: the parameters, the optimizer's state (AdamW's running averages and
step counts: without them the steps after resuming differ), the config the model
was built from, and the step reached.

Below them, loaders for weights saved another way: from a compiled model, before a
module was renamed, or by an earlier save that pickled the config object itself.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from minigpt.model import GPT, GPTConfig


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


# `torch.compile(model)` returns a wrapper that holds the model as `_orig_mod`: the keys of
# its state_dict all start with this.
COMPILED_PREFIX = "_orig_mod."


def load_weights(model: GPT, state_dict: dict[str, torch.Tensor]) -> None:
    """Load `state_dict` into `model`, whether it was saved from the model or from `torch.compile(model)`."""
    # strict, once the wrapper's prefix is gone: a key that still does not match raises
    model.load_state_dict({key.removeprefix(COMPILED_PREFIX): value for key, value in state_dict.items()})


def load_legacy_weights(model: GPT, state_dict: dict[str, torch.Tensor]) -> None:
    """Load weights saved before the blocks' norms were renamed: `ln_1` and `ln_2`
    (nanoGPT's names) are `ln1` and `ln2` now."""
    renamed = {key.replace(".ln_1.", ".ln1.").replace(".ln_2.", ".ln2."): value for key, value in state_dict.items()}
    model.load_state_dict(renamed)


def load_model(path: str | Path) -> GPT:
    """The model a checkpoint from an earlier save describes, with its weights: that save
    pickled the config as a `GPTConfig` object, not as plain values."""
    # weights-only still, with that one class allowed: any other object in the file is refused
    with torch.serialization.safe_globals([GPTConfig]):
        checkpoint = torch.load(path, weights_only=True)
    model = GPT(checkpoint["config"])
    model.load_state_dict(checkpoint["model"])
    return model
