"""Scenarios that save a trained model and load it back through the lesson's loader.

What each writes is made inside the run, in a temporary folder of its own: a checkpoint
never comes from the learner. Compared with the control: the parameters after loading
(or after resuming training), which a correct loader reproduces to the bit. Evidence: the
keys `load_state_dict` reported missing and left over, how many parameters hold the
saved values, the held-out loss of what was loaded.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch

from minigpt import checkpoint, data, model
from minigpt.model import GPT
from tutor.sandbox.observe import Observation, Phases, Settings, builds_optimizer, held_out_loss, scenario
from tutor.sandbox.training_scenarios import Batches, fresh_model, optimizer_for, snapshot

# How each lesson's checkpoint was saved: its keys as the trained model's own would be written.
_SAVED_AS = {
    # `torch.compile` wraps the model: every key gains `_orig_mod.` (made by torch itself below)
    "compiled": lambda gpt: torch.compile(gpt, backend="eager").state_dict(),
    # before the rename of the blocks' norms: `ln1` and `ln2` were `ln_1` and `ln_2`
    "renamed": lambda gpt: {key.replace(".ln1.", ".ln_1.").replace(".ln2.", ".ln_2."): value
                            for key, value in gpt.state_dict().items()},
}


def train(gpt: GPT, optimizer: torch.optim.Optimizer, next_batch: Batches, steps: int) -> list[float]:
    """`steps` optimizer steps on the next batches; the loss of each."""
    losses = []
    for _ in range(steps):
        optimizer.zero_grad(set_to_none=True)
        _, loss = gpt(*next_batch())
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def trained(settings: Settings, phase: Phases) -> GPT:
    """The lesson's model after a few AdamW steps, so that loaded and unloaded weights differ
    in every tensor (the norms' too) and in the held-out loss."""
    gpt, next_batch = fresh_model(settings)
    phase("train")
    train(gpt, optimizer_for(gpt, settings), next_batch, settings.get("train_steps", 20))
    return gpt


def untrained_like(gpt: GPT, settings: Settings) -> GPT:
    """A model of the same config, initialised from another seed: what is not loaded stays so."""
    return model.build_model(gpt.config, seed=settings.get("seed", 0) + 1)


def loaded_observation(gpt: GPT, saved: dict[str, torch.Tensor], settings: Settings, **evidence: object) -> Observation:
    """The parameters of `gpt` after the load, how many hold the saved values, its held-out loss."""
    after = snapshot(gpt)
    loaded = sum(torch.equal(value, saved[name]) for name, value in after.items())
    return Observation("loaded", after, {}, {"loaded": loaded, "loaded_loss": held_out(gpt, settings), **evidence})


def held_out(gpt: GPT, settings: Settings) -> float | None:
    """The loss on the held-out batch the training scenarios use."""
    return held_out_loss(gpt, data.encode_corpus()[1], 16, torch.Generator().manual_seed(settings.get("seed", 0) + 1000))


@scenario
@builds_optimizer
def state_dict_loading(settings: Settings, phase: Phases) -> Observation:
    """The lesson's loader (`settings["loader"]`) given the trained model's state dict, saved
    as the lesson says (`saved_as`), and a freshly initialised model to load it into."""
    source = trained(settings, phase)
    state_dict = _SAVED_AS[settings["saved_as"]](source)
    gpt = untrained_like(source, settings)
    reported: dict[str, list[str]] = {}

    def keys(module: torch.nn.Module, incompatible: object) -> None:
        reported["missing_keys"] = list(incompatible.missing_keys)  # type: ignore[attr-defined]
        reported["unexpected_keys"] = list(incompatible.unexpected_keys)  # type: ignore[attr-defined]

    gpt.register_load_state_dict_post_hook(keys)
    phase("load")
    getattr(checkpoint, settings["loader"])(gpt, state_dict)
    return loaded_observation(gpt, snapshot(source), settings, **reported)


class _Planted:
    """What a stranger's checkpoint can hold: an object whose unpickling calls a function,
    here one that only makes a folder, so that the scenario sees whether it ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return os.mkdir, (str(self.marker),)


@scenario
@builds_optimizer
def checkpoint_files(settings: Settings, phase: Phases) -> Observation:
    """`checkpoint.load_model` on a checkpoint from an earlier save, which pickled the config
    object, then on a stranger's checkpoint of the same form with a planted object that a
    full unpickling runs. Compared: the loaded parameters, and whether the stranger's file
    was refused and its payload ran (`stranger_refused`, `payload_ran`)."""
    source = trained(settings, phase)
    old_save = {"model": source.state_dict(), "config": source.config, "step": settings.get("train_steps", 20)}
    with tempfile.TemporaryDirectory() as folder:
        ours, stranger, marker = Path(folder, "ours.pt"), Path(folder, "stranger.pt"), Path(folder, "payload-ran")
        torch.save(old_save, ours)
        torch.save({**old_save, "note": _Planted(marker)}, stranger)
        phase("load")
        gpt = checkpoint.load_model(ours)
        phase("stranger")
        try:
            checkpoint.load_model(stranger)
            refused = False
        except Exception:  # refused, whatever the loader raised: nothing was built from it
            refused = True
        ran = marker.exists()
    observation = loaded_observation(gpt, snapshot(source), settings, stranger_refused=refused, payload_ran=ran)
    observation.outputs = {"stranger_refused": torch.tensor(refused), "payload_ran": torch.tensor(ran)}
    return observation
