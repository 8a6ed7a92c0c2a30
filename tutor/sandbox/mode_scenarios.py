"""Scenarios about train and eval mode, with the lesson's dropout switched on.

Dropout draws its masks from torch's global random stream, which the control and the
learner's run start from the same seed: so a correct form draws the very masks the control
draws, and a forward run in the wrong mode shows twice, as outputs that differ and as a
random stream moved along. Each scenario also measures what the stories read: how far two
evaluations of the same weights are apart (0.0 in eval mode) and which mode the model was in.
"""

from __future__ import annotations

import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook

from minigpt import data, train
from minigpt.model import GPT
from tutor.sandbox.forward_scenarios import one_backward
from tutor.sandbox.observe import (Observation, Phases, Settings, builds_optimizer, scenario, significant,
                                   tiny_model)
from tutor.sandbox.training_scenarios import OptimizerLog, fresh_model, optimizer_for, snapshot, trained


def _estimate(gpt: GPT, settings: Settings, seed: int) -> float:
    """`train.estimate_loss` on the corpus, from batches that `seed` draws."""
    _, corpus = data.encode_corpus()
    return train.estimate_loss(gpt, corpus, settings.get("eval_batches", 4), settings.get("eval_batch_size", 16),
                               torch.Generator().manual_seed(seed))


@scenario
@builds_optimizer
def evaluation(settings: Settings, phase: Phases) -> Observation:
    """Train in train mode, estimating the held-out loss with `train.estimate_loss` after
    every `eval_every` steps; then estimate the trained weights twice from the same batches,
    and once more with the model in eval mode.

    Compared with the control: the first step's gradients (no estimate has run before it),
    every estimate, and the mode each call left the model in. Evidence: the trained weights'
    estimate (`eval_loss`), how far its repeat is from it (`repeat_gap`), and whether every call
    left the model in the mode it found it in (`mode_restored`)."""
    gpt, next_batch = fresh_model(settings)
    optimizer = optimizer_for(gpt, settings)
    seed, steps, every = settings.get("seed", 0), settings.get("steps", 20), settings.get("eval_every", 5)
    estimates: list[float] = []
    modes: list[bool] = []  # model.training after each call
    expected: list[bool] = []  # the mode each call found
    first_grads: dict[str, torch.Tensor | None] = {}

    def estimate(batches_seed: int) -> None:
        expected.append(gpt.training)
        estimates.append(_estimate(gpt, settings, batches_seed))
        modes.append(gpt.training)

    for step in range(steps):
        phase("train")
        train.train_step(gpt, optimizer, *next_batch())
        if step == 0:
            first_grads = {name: None if p.grad is None else p.grad.clone() for name, p in gpt.named_parameters()}
        phase.steps_done(step + 1, steps)
        if (step + 1) % every == 0:
            phase("evaluate")
            estimate(seed + 1000 + step)
    phase("evaluate")
    trained_weights = len(estimates)
    estimate(seed + 2000)
    estimate(seed + 2000)  # the same weights, the same batches
    gpt.eval()
    estimate(seed + 2000)  # a model already in eval mode must stay there
    outputs = {"estimates": torch.tensor(estimates, dtype=torch.float64), "modes_after": torch.tensor(modes)}
    evidence = {"eval_loss": round(estimates[trained_weights], 4),
                "repeat_gap": significant(abs(estimates[trained_weights + 1] - estimates[trained_weights])),
                "mode_restored": modes == expected}
    return Observation("gradients", first_grads, outputs, evidence)


class ModeLog:
    """How many optimizer steps, of all the steps any optimizer took, found the model in train mode."""

    def __init__(self, gpt: GPT) -> None:
        self.gpt = gpt
        self.in_train_mode = 0

    def __enter__(self) -> ModeLog:
        self._hook = register_optimizer_step_pre_hook(self._before_step)
        return self

    def __exit__(self, *_: object) -> None:
        self._hook.remove()

    def _before_step(self, *_: object) -> None:
        self.in_train_mode += self.gpt.training


@scenario
@builds_optimizer
def validation_loop(settings: Settings, phase: Phases) -> Observation:
    """`train.train_with_validation` on the first nine tenths of the corpus, with the last
    tenth as its held-out data. Compared, as in every AdamW scenario: the gradients the
    optimizer was given at its first two steps. Evidence: how many steps ran in train mode
    (`train_mode_steps`), the held-out losses the loop returned (`val_losses`), and the
    trained weights' held-out loss in eval mode."""
    gpt, _, _ = tiny_model(settings)
    _, corpus = data.encode_corpus()
    split = len(corpus) * 9 // 10
    before = snapshot(gpt)
    phase("train")
    steps = settings.get("steps", 40)
    with OptimizerLog(gpt, steps, phase) as log, ModeLog(gpt) as modes:
        losses, val_losses = train.train_with_validation(
            gpt, corpus[:split], corpus[split:], steps, eval_every=settings.get("eval_every", 10),
            batch_size=settings.get("batch_size", 4), lr=settings.get("lr", 1e-2), seed=settings.get("seed", 0))
    gpt.eval()  # the held-out loss of the trained weights, with dropout off
    observation = trained(gpt, before, [float(loss) for loss in losses], settings,
                          train_mode_steps=modes.in_train_mode,
                          val_losses=[round(float(loss), 4) for loss in val_losses])
    return log.observation(observation)


@scenario
def dropout_modes(settings: Settings, phase: Phases) -> Observation:
    """One forward and backward in train mode, then two forwards of the same batch in eval
    mode. Compared: the train-mode gradients (the control's dropout masks) and the first eval
    forward's logits. Evidence: the largest difference between the two eval forwards
    (`eval_repeat_gap`: 0.0 when eval mode drops nothing)."""
    gpt, x, y = tiny_model(settings)
    phase("forward")
    grads, _ = one_backward(gpt, x, y, settings, before_backward=phase.backward)
    gpt.eval()
    phase("eval")
    with torch.no_grad():
        first, _ = gpt(x)
        second, _ = gpt(x)
    gap = significant((first - second).abs().max().item())
    return Observation("gradients", grads, {"eval_logits": first}, {"eval_repeat_gap": gap})
