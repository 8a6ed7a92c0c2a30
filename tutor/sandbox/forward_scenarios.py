"""Scenarios around the mini-GPT's forward pass: one backward, generation, and attention probes.

The attention probes work whatever form the attention takes (a hand-written mask,
`F.scaled_dot_product_attention`...): they only feed inputs and read outputs.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.overrides import TorchFunctionMode

from minigpt import data, model
from minigpt.model import GPT, GPTConfig
from tutor.sandbox.observe import (Observation, Phases, Settings, autocast, builds_optimizer, held_out_loss, scenario,
                                   tiny_model)

# A change this small is float noise, not a token seeing the future.
_LEAK_THRESHOLD = 1e-5


Tensors = dict[str, torch.Tensor | None]


@scenario
def gradients(settings: Settings, phase: Phases) -> Observation:
    """One forward (under the lesson's autocast, if any) and backward: every parameter's
    gradient, and the loss."""
    gpt, x, y = tiny_model(settings)
    phase("forward")
    grads, outputs = one_backward(gpt, x, y, settings, before_backward=phase.backward)
    return Observation("gradients", grads, outputs, {"loss": outputs["loss"].item()})


def one_backward(gpt: GPT, x: torch.Tensor, y: torch.Tensor, settings: Settings,
                 before_backward: Callable[[torch.Tensor], None] = lambda loss: None) -> tuple[Tensors, Tensors]:
    """One forward (under the lesson's autocast, if any) and backward: every parameter's
    gradient, then the logits and the loss."""
    with autocast(settings):
        logits, loss = gpt(x, y)
    before_backward(loss)
    loss.backward()
    return {name: p.grad for name, p in gpt.named_parameters()}, {"loss": loss.detach(), "logits": logits.detach()}


@scenario
def generation(settings: Settings, phase: Phases) -> Observation:
    """Sample `new_tokens` tokens after a one-token context. Compared: the tokens, and the
    weights (sampling must leave the model as it found it). Evidence: the length of the
    result, and whether each forward saw the latest `block_size` tokens."""
    gpt, x, _ = tiny_model(settings)
    context = x[:, :1]  # (B, 1)
    generator = torch.Generator().manual_seed(settings.get("seed", 0))
    with torch.no_grad():  # larger weights than the init's: predictions that depend on the context
        for p in gpt.parameters():
            p.normal_(0.0, 0.5, generator=generator)
    fed: list[torch.Tensor] = []
    gpt.register_forward_pre_hook(lambda _module, args: fed.append(args[0].clone()))
    phase("forward")
    tokens = gpt.generate(context, settings["new_tokens"], generator)
    weights = {name: p.detach() for name, p in gpt.named_parameters()}
    evidence = {"length": tokens.size(1), "fed_latest_window": fed_latest_window(fed, tokens, gpt.config.block_size)}
    return Observation("generation", weights, {"tokens": tokens}, evidence)


def fed_latest_window(fed: list[torch.Tensor], tokens: torch.Tensor, block_size: int) -> bool:
    """Was the n-th forward fed the last `block_size` of the first n + 1 tokens it returned?"""
    one_per_token = len(fed) == tokens.size(1) - 1  # the context was a single token
    latest = (tokens[:, : n + 1][:, -block_size:] for n in range(len(fed)))
    return one_per_token and all(torch.equal(context, window) for context, window in zip(fed, latest))


@scenario
@builds_optimizer
def attention_training(settings: Settings, phase: Phases) -> Observation:
    """Probe the fresh model's attention, then train on random tokens, where no model can
    honestly beat ln(vocab_size).

    Compared with the control: the gradients and loss of the first step, and the probe's
    logits; later steps would only amplify float noise between equally correct forms.
    Evidence: the two probes and the loss after training, on windows it did not train on.
    """
    seed = settings.get("seed", 0)
    config = GPTConfig.tiny(settings["vocab_size"])
    gpt = model.build_model(config, seed=seed)
    generator = torch.Generator().manual_seed(seed)
    stream = torch.randint(config.vocab_size, (4096,), generator=generator)  # (N,): no pattern to learn
    phase("probe")  # on the fresh model, so the answer does not hang on how training went
    probe_logits, leak = causal_leak(gpt, generator)
    evidence = {"causal_leak": leak, "rows_sum_to_one": rows_sum_to_one(config, generator)}
    optimizer = torch.optim.AdamW(gpt.parameters(), lr=settings["lr"])
    first_grads: dict[str, torch.Tensor | None] = {}
    first_loss = torch.tensor(float("nan"))
    for step in range(settings["steps"]):
        x, y = data.get_batch(stream, settings["batch_size"], config.block_size, generator)
        optimizer.zero_grad(set_to_none=True)
        phase("forward")
        _, loss = gpt(x, y)
        phase.backward(loss)
        loss.backward()
        if step == 0:
            first_loss = loss.detach()
            first_grads = {name: None if p.grad is None else p.grad.clone() for name, p in gpt.named_parameters()}
        phase("step")
        optimizer.step()
        phase.steps_done(step + 1, settings["steps"])
    phase("probe")
    evidence["final_loss"] = held_out_loss(gpt, stream, 128, generator)
    outputs = {"first_loss": first_loss, "probe_logits": probe_logits}
    return Observation("gradients", first_grads, outputs, evidence)


@torch.no_grad()
def causal_leak(gpt: GPT, generator: torch.Generator) -> tuple[torch.Tensor, bool]:
    """The logits of a random sequence and of the same sequence with its last token changed;
    leak: the earlier positions' logits moved, so they saw the last token."""
    x = torch.randint(gpt.config.vocab_size, (1, gpt.config.block_size), generator=generator)  # (1, T)
    changed = x.clone()
    changed[0, -1] = (x[0, -1] + 1) % gpt.config.vocab_size
    before, _ = gpt(x)  # (1, T, vocab)
    after, _ = gpt(changed)
    leak = bool((before[:, :-1] - after[:, :-1]).abs().max() > _LEAK_THRESHOLD)
    return torch.cat([before, after]), leak


@torch.no_grad()
def rows_sum_to_one(config: GPTConfig, generator: torch.Generator) -> bool:
    """With every value vector set to ones and an identity output projection, attention
    returns the sum of each row of its weights: 1 everywhere for a true softmax over keys."""
    attention = model.CausalSelfAttention(config)
    C = config.n_embd
    attention.c_attn.weight.normal_(0.0, 0.5, generator=generator)  # uneven scores, from the scenario's seed
    attention.c_attn.weight[2 * C:].zero_()  # the value rows of the fused q, k, v projection
    attention.c_attn.bias[2 * C:].fill_(1.0)
    attention.c_proj.weight.copy_(torch.eye(C))
    attention.c_proj.bias.zero_()
    x = torch.randn(1, config.block_size, C, generator=generator)  # (1, T, C)
    row_sums = attention(x)  # (1, T, C): each head's row sums, repeated over its channels
    return bool(torch.allclose(row_sums, torch.ones_like(row_sums), atol=_LEAK_THRESHOLD))


@scenario
def broadcast_gradients(settings: Settings, phase: Phases) -> Observation:
    """`gradients`, and as evidence every op of the forward whose result outgrew all the
    tensors it was given (`broadcasts`): two shapes that broadcast into a larger one, which
    torch accepts without a word. The model's own forward has none."""
    with Broadcasts() as seen:
        observation = gradients(settings, phase)
    observation.evidence["broadcasts"] = seen.shapes
    return observation


class Broadcasts(TorchFunctionMode):
    """Records, as "[32, 1], [32] -> [32, 32]", each torch call given two tensors or more
    whose result has more elements than any of them."""

    def __init__(self) -> None:
        super().__init__()
        self.shapes: list[str] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        result = func(*args, **(kwargs or {}))
        inputs = [arg for arg in args if isinstance(arg, torch.Tensor)]
        if len(inputs) >= 2 and isinstance(result, torch.Tensor) and result.numel() > max(t.numel() for t in inputs):
            self.shapes.append(f"{', '.join(str(list(t.shape)) for t in inputs)} -> {list(result.shape)}")
        return result
