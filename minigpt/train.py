"""Training loop for the lesson model.

Run `python -m minigpt.train --steps 200` to train the tiny model on the
corpus and print a sample.
"""

from __future__ import annotations

import argparse
import time

import torch
import torch.nn as nn
from torch import Tensor

from minigpt.data import encode_corpus, get_batch
from minigpt.model import GPT, GPTConfig, build_model


def train_step(model: GPT, optimizer: torch.optim.Optimizer, x: Tensor, y: Tensor) -> float:
    """One optimisation step on the batch (x, y); returns the loss before the update."""
    optimizer.zero_grad(set_to_none=True)
    _, loss = model(x, y)
    loss.backward()
    optimizer.step()
    return loss.item()


# Mixed precision: float16 forward under autocast, the loss scaled so that small gradients
# survive float16, and the gradients clipped once they are back at their true size.
def amp_train_step(
    model: GPT,
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    x: Tensor,
    y: Tensor,
    max_norm: float = 1.0,
) -> float:
    """One mixed-precision step on the batch (x, y); returns the loss before the update."""
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast("cpu", dtype=torch.float16):
        _, loss = model(x, y)
    scaler.scale(loss).backward()  # gradients multiplied by the scale (65536 at first)
    scaler.unscale_(optimizer)  # back to their true size, so the clip sees the true norm
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    scaler.step(optimizer)  # skipped if a gradient overflowed to inf or nan
    scaler.update()
    return loss.item()


def sgd_step(model: nn.Module, lr: float) -> None:
    """Plain gradient descent, written out: what `optimizer.step()` hides."""
    # no_grad: the update itself must not be recorded in the graph
    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                p -= lr * p.grad


@torch.no_grad()
def estimate_loss(
    model: GPT, data: Tensor, batches: int, batch_size: int, generator: torch.Generator
) -> float:
    """The mean loss over `batches` random batches of `data`, in eval mode (dropout off); the
    model is left in the mode it was in."""
    was_training = model.training
    model.eval()  # no_grad only stops recording the graph: dropout still drops in train mode
    losses = []
    for _ in range(batches):
        x, y = get_batch(data, batch_size, model.config.block_size, generator)
        _, loss = model(x, y)
        losses.append(loss.item())
    model.train(was_training)
    return sum(losses) / len(losses)


# The optimiser's step as nanoGPT's loop takes it: clipped, on a schedule, accumulated over
# micro-batches, and with an optimizer built for the parameters the model holds.
def clipped_train_step(
    model: GPT, optimizer: torch.optim.Optimizer, x: Tensor, y: Tensor, max_norm: float = 1.0
) -> float:
    """One step whose gradients are first scaled down to a total norm of at most `max_norm`;
    returns the loss before the update."""
    optimizer.zero_grad(set_to_none=True)
    _, loss = model(x, y)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm)  # measures what backward just wrote
    optimizer.step()
    return loss.item()


def scheduled_train_step(
    model: GPT,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    x: Tensor,
    y: Tensor,
) -> float:
    """One step at the learning rate the schedule set for it, then the schedule moves on;
    returns the loss before the update."""
    optimizer.zero_grad(set_to_none=True)
    _, loss = model(x, y)
    loss.backward()
    optimizer.step()  # at this step's learning rate
    scheduler.step()  # sets the next step's
    return loss.item()


def accumulated_train_step(
    model: GPT, optimizer: torch.optim.Optimizer, x: Tensor, y: Tensor, micro_steps: int = 4
) -> float:
    """One step on the batch (x, y) taken as `micro_steps` micro-batches, one backward each:
    the memory of a micro-batch, the gradient of the whole batch. Returns the batch's loss."""
    optimizer.zero_grad(set_to_none=True)
    total = 0.0
    for xs, ys in zip(x.chunk(micro_steps), y.chunk(micro_steps)):
        _, loss = model(xs, ys)
        loss = loss / micro_steps  # backward adds: each micro-batch adds its share of the mean
        loss.backward()
        total += loss.item()
    optimizer.step()
    return total


def new_head_optimizer(model: GPT, learning_rate: float) -> torch.optim.Optimizer:
    """A new output layer, to learn the head again from scratch (as for a new task), and the
    optimizer that trains the model with it."""
    model.lm_head = nn.Linear(model.config.n_embd, model.config.vocab_size, bias=False)
    # built after the new layer: an optimizer holds the parameters it was given, by object
    return model.configure_optimizers(weight_decay=0.1, learning_rate=learning_rate, betas=(0.9, 0.95))


def train(
    model: GPT,
    data: Tensor,
    steps: int,
    batch_size: int = 4,
    lr: float = 1e-2,
    seed: int = 0,
) -> list[float]:
    """Train with AdamW on random windows of `data`; returns the loss of every step."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    # own generator, so batches do not depend on the global RNG state
    generator = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(steps):
        x, y = get_batch(data, batch_size, model.config.block_size, generator)
        losses.append(train_step(model, optimizer, x, y))
    return losses


def train_with_validation(
    model: GPT,
    data: Tensor,
    val_data: Tensor,
    steps: int,
    eval_every: int = 10,
    batch_size: int = 4,
    lr: float = 1e-2,
    seed: int = 0,
) -> tuple[list[float], list[float]]:
    """`train`, with the loss of one held-out batch before every `eval_every`-th step; returns
    the training losses and those held-out losses."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    val_generator = torch.Generator().manual_seed(seed + 1)
    losses, val_losses = [], []
    for step in range(steps):
        if step % eval_every == 0:
            model.eval()  # dropout off for the look at held-out data
            with torch.no_grad():
                _, val_loss = model(*get_batch(val_data, batch_size, model.config.block_size, val_generator))
            val_losses.append(val_loss.item())
            model.train()  # and back on for training
        x, y = get_batch(data, batch_size, model.config.block_size, generator)
        losses.append(train_step(model, optimizer, x, y))
    return losses, val_losses


def main() -> None:
    parser = argparse.ArgumentParser(description="Train the tiny GPT on the corpus.")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    tokenizer, data = encode_corpus()
    model = build_model(GPTConfig.tiny(tokenizer.vocab_size), seed=args.seed)
    print(f"{sum(p.numel() for p in model.parameters()):,} parameters, {len(data):,} characters")

    t0 = time.perf_counter()
    losses = train(model, data, args.steps, seed=args.seed)
    # single-batch losses are noisy: report the mean over each window of steps
    every = max(1, args.steps // 10)
    for first in range(0, args.steps, every):
        window = losses[first : first + every]
        print(f"step {first:5d}  loss {sum(window) / len(window):.4f}")
    print(f"trained in {time.perf_counter() - t0:.2f}s")

    generator = torch.Generator().manual_seed(args.seed)
    context = torch.tensor([tokenizer.encode("\n")], dtype=torch.long)  # (1, 1)
    sample = model.generate(context, max_new_tokens=200, generator=generator)
    print(tokenizer.decode(sample[0].tolist()))


if __name__ == "__main__":
    main()
