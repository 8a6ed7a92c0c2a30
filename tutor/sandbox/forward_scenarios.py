"""Scenarios around one forward and backward pass of the mini-GPT."""

from __future__ import annotations

from tutor.sandbox.observe import Observation, Phases, Settings, scenario, tiny_model


@scenario
def gradients(settings: Settings, phase: Phases) -> Observation:
    """One forward and backward: every parameter's gradient, and the loss."""
    gpt, x, y = tiny_model(settings)
    phase("forward")
    logits, loss = gpt(x, y)
    phase.backward(loss)
    loss.backward()
    grads = {name: p.grad for name, p in gpt.named_parameters()}
    return Observation("gradients", grads, {"loss": loss.detach(), "logits": logits.detach()}, {"loss": loss.item()})


