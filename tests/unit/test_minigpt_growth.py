"""The model's nanoGPT options: dropout, weight tying, the optimizer's groups, checkpoints."""

from __future__ import annotations

import dataclasses
import math
import pickle
from pathlib import Path

import pytest
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from minigpt.checkpoint import load_checkpoint, save_checkpoint
from minigpt.data import encode_corpus, get_batch
from minigpt.model import GPT, MLP, CausalSelfAttention, GPTConfig, build_model, sequence_loss
from minigpt.train import train_step

VOCAB = 40


def config(**changes: object) -> GPTConfig:
    return dataclasses.replace(GPTConfig.tiny(VOCAB), **changes)


def batch(seed: int = 1, batch_size: int = 2) -> tuple[Tensor, Tensor]:
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(VOCAB, (batch_size, 8), generator=g)
    y = torch.randint(VOCAB, (batch_size, 8), generator=g)
    return x, y


def forward_backward(model: GPT, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor, dict[str, Tensor]]:
    logits, loss = model(x, y)
    loss.backward()
    return logits.detach(), loss.detach(), {n: p.grad for n, p in model.named_parameters()}


# The forward passes as they were before the model had dropout, copied line for line.

def attention_without_dropout(self: CausalSelfAttention, x: Tensor) -> Tensor:
    B, T, C = x.size()
    q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
    q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
    k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
    v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
    att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
    att = F.softmax(att, dim=-1)
    y = att @ v
    y = y.transpose(1, 2).contiguous().view(B, T, C)
    return self.c_proj(y)


def mlp_without_dropout(self: MLP, x: Tensor) -> Tensor:
    return self.proj(F.gelu(self.fc(x)))


def gpt_without_dropout(self: GPT, idx: Tensor, targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
    B, T = idx.size()
    pos = torch.arange(T, device=idx.device)
    h = self.tok_emb(idx) + self.pos_emb(pos)
    for block in self.blocks:
        h = block(h)
    logits = self.lm_head(self.ln_f(h))
    loss = None if targets is None else sequence_loss(logits, targets)
    return logits, loss


@pytest.mark.parametrize("training", [True, False])
def test_zero_dropout_computes_bit_for_bit_what_the_model_without_dropout_did(
    monkeypatch: pytest.MonkeyPatch, training: bool
) -> None:
    x, y = batch()
    model = build_model(config(), seed=0).train(training)
    logits, loss, grads = forward_backward(model, x, y)

    monkeypatch.setattr(CausalSelfAttention, "forward", attention_without_dropout)
    monkeypatch.setattr(MLP, "forward", mlp_without_dropout)
    monkeypatch.setattr(GPT, "forward", gpt_without_dropout)
    before = build_model(config(), seed=0).train(training)
    old_logits, old_loss, old_grads = forward_backward(before, x, y)

    assert torch.equal(logits, old_logits)
    assert torch.equal(loss, old_loss)
    assert len(grads) == len(old_grads) == 17
    for name, grad in grads.items():
        assert torch.equal(grad, old_grads[name]), name


def test_zero_dropout_hands_the_block_the_add_node_itself() -> None:
    """Dropout at p = 0 returns its input, so the in-place lesson's error still reads `output 0 of Add`."""
    model = build_model(config(), seed=0).train()
    seen: list[Tensor] = []
    model.blocks[0].register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    model(batch()[0])
    assert seen[0].grad_fn.name() == "AddBackward0"

    dropping = build_model(config(dropout=0.1), seed=0).train()
    seen.clear()
    dropping.blocks[0].register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    dropping(batch()[0])
    assert seen[0].grad_fn.name() != "AddBackward0"  # with p > 0, the block gets dropout's output


def test_dropout_does_not_change_the_initial_weights() -> None:
    plain, dropping = build_model(config(), seed=3), build_model(config(dropout=0.2), seed=3)
    pairs = zip(plain.named_parameters(), dropping.named_parameters(), strict=True)
    for (name, a), (other, b) in pairs:
        assert name == other and torch.equal(a, b), name
    assert not any(isinstance(m, nn.Dropout) and m.p for m in plain.modules())
    assert sum(isinstance(m, nn.Dropout) and m.p == 0.2 for m in dropping.modules()) == 4


def test_dropout_sits_where_nanogpt_puts_it() -> None:
    """Embeddings, attention weights after the softmax, and each branch's output, in that order."""
    torch.manual_seed(0)
    model = build_model(config(dropout=0.5), seed=0).train()
    names = {module: name for name, module in model.named_modules()}
    calls: list[tuple[str, Tensor, Tensor]] = []
    for module in names:
        if isinstance(module, nn.Dropout):
            module.register_forward_hook(lambda m, args, out: calls.append((names[m], args[0], out)))
    projections: list[Tensor] = []
    for module in (model.blocks[0].attn.c_proj, model.blocks[0].mlp.proj):
        module.register_forward_hook(lambda m, args, out: projections.append(out))

    x = batch()[0]
    model(x)
    assert [name for name, _, _ in calls] == [
        "drop", "blocks.0.attn.attn_dropout", "blocks.0.attn.resid_dropout", "blocks.0.mlp.dropout"
    ]
    embeddings, attention, attention_branch, mlp_branch = (given for _, given, _ in calls)
    assert torch.equal(embeddings, model.tok_emb(x) + model.pos_emb(torch.arange(8)))
    assert attention.shape == (2, 4, 8, 8)  # (B, nh, T, T): the softmax's rows
    torch.testing.assert_close(attention.sum(dim=-1), torch.ones(2, 4, 8))
    assert torch.equal(attention_branch, projections[0])
    assert torch.equal(mlp_branch, projections[1])
    for name, given, out in calls:
        live, kept = given != 0, out != 0  # the mask's zeros above the diagonal are not dropout's
        assert not (kept & ~live).any(), name
        assert 0.3 < kept[live].float().mean().item() < 0.7, name  # about half survives
        assert torch.equal(out[kept], given[kept] * 2), name  # survivors scaled by 1 / (1 - p)


def test_dropout_acts_in_training_only() -> None:
    x, _ = batch()
    dropping = build_model(config(dropout=0.3), seed=0)
    first, second = dropping(x)[0], dropping(x)[0]
    assert not torch.equal(first, second)  # a new mask on every call

    dropping.eval()
    plain = build_model(config(), seed=0)
    assert torch.equal(dropping(x)[0], plain(x)[0])


def test_untied_by_default_with_17_parameter_tensors() -> None:
    model = build_model(config(), seed=0)
    assert model.lm_head.weight is not model.tok_emb.weight
    assert len(list(model.parameters())) == 17


def test_tied_model_holds_one_tensor_in_both_places() -> None:
    model = build_model(config(tie_weights=True), seed=0)
    assert model.lm_head.weight is model.tok_emb.weight
    names = [name for name, _ in model.named_parameters()]
    assert len(names) == 16 and "tok_emb.weight" in names and "lm_head.weight" not in names
    # the state_dict still names it twice, so a checkpoint loads into either kind of model
    state = model.state_dict()
    assert "lm_head.weight" in state and state["lm_head.weight"].data_ptr() == state["tok_emb.weight"].data_ptr()


def test_tied_gradient_is_the_sum_of_both_uses() -> None:
    x, y = batch()
    tied = build_model(config(tie_weights=True), seed=0)
    untied = build_model(config(), seed=0)
    untied.load_state_dict(tied.state_dict())  # the same numbers, in two tensors
    assert torch.equal(untied.tok_emb.weight, untied.lm_head.weight)

    _, tied_loss, _ = forward_backward(tied, x, y)
    _, untied_loss, _ = forward_backward(untied, x, y)
    assert torch.equal(tied_loss, untied_loss)
    as_embedding, as_output = untied.tok_emb.weight.grad, untied.lm_head.weight.grad
    assert as_embedding.abs().sum() > 0 and as_output.abs().sum() > 0
    # autograd adds the two incoming gradients once, as this sum does: equal to the bit
    assert torch.equal(tied.tok_emb.weight.grad, as_embedding + as_output)
    assert not torch.allclose(tied.tok_emb.weight.grad, as_output)


def names_by_group(model: GPT, optimizer: torch.optim.Optimizer) -> list[set[str]]:
    names = {id(p): name for name, p in model.named_parameters()}
    return [{names[id(p)] for p in group["params"]} for group in optimizer.param_groups]


def test_configure_optimizers_decays_the_matrices_only() -> None:
    model = build_model(config(), seed=0)
    optimizer = model.configure_optimizers(weight_decay=0.1, learning_rate=3e-3, betas=(0.9, 0.95))
    assert isinstance(optimizer, torch.optim.AdamW)
    decay, no_decay = names_by_group(model, optimizer)
    assert decay == {
        "tok_emb.weight", "pos_emb.weight", "lm_head.weight",
        "blocks.0.attn.c_attn.weight", "blocks.0.attn.c_proj.weight",
        "blocks.0.mlp.fc.weight", "blocks.0.mlp.proj.weight",
    }
    assert no_decay == {
        "blocks.0.ln1.weight", "blocks.0.ln1.bias", "blocks.0.ln2.weight", "blocks.0.ln2.bias",
        "blocks.0.attn.c_attn.bias", "blocks.0.attn.c_proj.bias",
        "blocks.0.mlp.fc.bias", "blocks.0.mlp.proj.bias",
        "ln_f.weight", "ln_f.bias",
    }
    assert [g["weight_decay"] for g in optimizer.param_groups] == [0.1, 0.0]
    assert all(g["lr"] == 3e-3 and g["betas"] == (0.9, 0.95) for g in optimizer.param_groups)

    # with zero gradients, AdamW's step is the decay alone: matrices shrink, the rest stays
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()
    for name, p in model.named_parameters():
        if name in decay:
            assert torch.equal(p, before[name] * (1 - 3e-3 * 0.1)), name
        else:
            assert torch.equal(p, before[name]), name


def test_configure_optimizers_holds_a_tied_weight_once_and_skips_frozen_ones() -> None:
    model = build_model(config(tie_weights=True), seed=0)
    model.pos_emb.weight.requires_grad_(False)
    decay, no_decay = names_by_group(model, model.configure_optimizers(0.1, 1e-3, (0.9, 0.95)))
    assert "tok_emb.weight" in decay and "pos_emb.weight" not in decay | no_decay
    assert len(decay) + len(no_decay) == 15


def trained(
    model: GPT, optimizer: torch.optim.Optimizer, batches: list[tuple[Tensor, Tensor]]
) -> dict[str, Tensor]:
    for x, y in batches:
        train_step(model, optimizer, x, y)
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def adamw(model: GPT) -> torch.optim.AdamW:
    return model.configure_optimizers(weight_decay=0.1, learning_rate=1e-2, betas=(0.9, 0.99))


@pytest.fixture(scope="module")
def batches() -> list[tuple[Tensor, Tensor]]:
    _, data = encode_corpus()
    generator = torch.Generator().manual_seed(0)
    return [get_batch(data, 4, 8, generator) for _ in range(6)]


def corpus_config() -> GPTConfig:
    return GPTConfig.tiny(encode_corpus()[0].vocab_size)


def test_round_trip_restores_parameters_and_adamw_state_exactly(tmp_path: Path, batches: list[tuple[Tensor, Tensor]]) -> None:
    model = build_model(corpus_config(), seed=0)
    optimizer = adamw(model)
    trained(model, optimizer, batches[:2])
    save_checkpoint(tmp_path / "ckpt.pt", model, optimizer, step=2)

    saved = torch.load(tmp_path / "ckpt.pt", weights_only=True)
    assert saved["config"] == dataclasses.asdict(model.config)
    restored = build_model(GPTConfig(**saved["config"]), seed=1)  # other weights, then overwritten
    restored_optimizer = adamw(restored)
    assert load_checkpoint(tmp_path / "ckpt.pt", restored, restored_optimizer) == 2

    for (name, p), q in zip(model.named_parameters(), restored.parameters(), strict=True):
        assert torch.equal(p, q), name
    state, restored_state = optimizer.state_dict()["state"], restored_optimizer.state_dict()["state"]
    assert state.keys() == restored_state.keys() and len(state) == 17
    for index, values in state.items():
        for key in ("step", "exp_avg", "exp_avg_sq"):
            assert torch.equal(values[key], restored_state[index][key]), (index, key)


def test_resumed_training_continues_exactly_like_uninterrupted_training(tmp_path: Path, batches: list[tuple[Tensor, Tensor]]) -> None:
    n = 3
    straight = build_model(corpus_config(), seed=0)
    expected = trained(straight, adamw(straight), batches)

    first = build_model(corpus_config(), seed=0)
    first_optimizer = adamw(first)
    trained(first, first_optimizer, batches[:n])
    save_checkpoint(tmp_path / "ckpt.pt", first, first_optimizer, step=n)

    resumed = build_model(corpus_config(), seed=1)
    resumed_optimizer = adamw(resumed)
    step = load_checkpoint(tmp_path / "ckpt.pt", resumed, resumed_optimizer)
    got = trained(resumed, resumed_optimizer, batches[step:])
    for name, value in expected.items():
        assert torch.equal(got[name], value), name

    # without the optimizer's state, AdamW starts its averages again: the run goes elsewhere
    forgetful = build_model(corpus_config(), seed=1)
    forgetful_optimizer = adamw(forgetful)
    load_checkpoint(tmp_path / "ckpt.pt", forgetful)
    other = trained(forgetful, forgetful_optimizer, batches[step:])
    assert not torch.equal(other["lm_head.weight"], expected["lm_head.weight"])


def test_loading_into_a_model_of_another_config_raises_torchs_error(tmp_path: Path) -> None:
    model = build_model(config(), seed=0)
    save_checkpoint(tmp_path / "ckpt.pt", model, adamw(model), step=0)

    wider = build_model(config(n_embd=32), seed=0)
    with pytest.raises(RuntimeError, match=r"size mismatch for tok_emb\.weight: copying a param with shape "
                                           r"torch\.Size\(\[40, 64\]\) from checkpoint, the shape in current "
                                           r"model is torch\.Size\(\[40, 32\]\)"):
        load_checkpoint(tmp_path / "ckpt.pt", wider)

    deeper = build_model(config(n_layer=2), seed=0)
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "blocks\.1\.ln1\.weight"'):
        load_checkpoint(tmp_path / "ckpt.pt", deeper)


def test_loading_refuses_anything_but_weights(tmp_path: Path) -> None:
    model = build_model(config(), seed=0)
    # what a checkpoint would hold if it pickled the config object itself
    torch.save({"model": model.state_dict(), "config": model.config, "step": 0}, tmp_path / "ckpt.pt")
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        load_checkpoint(tmp_path / "ckpt.pt", build_model(config(), seed=0))
