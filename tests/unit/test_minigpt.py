"""Unit tests of the lesson model, its data pipeline and its training loop."""

from __future__ import annotations

import math

import pytest
import torch

from minigpt import GPT, CharTokenizer, GPTConfig
from minigpt.data import corpus_text, encode_corpus, get_batch
from minigpt.model import Block, build_model
from minigpt.train import estimate_loss, sgd_step, train, train_with_validation

VOCAB = 40


def tiny(vocab_size: int = VOCAB) -> GPTConfig:
    return GPTConfig.tiny(vocab_size)


def random_batch(
    config: GPTConfig, batch_size: int = 2, seed: int = 1
) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    shape = (batch_size, config.block_size)
    x = torch.randint(config.vocab_size, shape, generator=g)
    y = torch.randint(config.vocab_size, shape, generator=g)
    return x, y


def test_tiny_preset() -> None:
    config = GPTConfig.tiny(vocab_size=33)
    shape = (config.vocab_size, config.block_size, config.n_layer, config.n_head, config.n_embd)
    assert shape == (33, 8, 1, 4, 64)


def test_forward_shapes() -> None:
    config = tiny()
    model = build_model(config, seed=0)
    x, y = random_batch(config, batch_size=3)
    logits, loss = model(x, y)
    assert logits.shape == (3, config.block_size, config.vocab_size)
    assert loss is not None and loss.shape == ()
    # an untrained model predicts close to uniform, so the loss is near ln(vocab)
    assert abs(loss.item() - math.log(config.vocab_size)) < 0.1

    logits, loss = model(x[:, :5])
    assert logits.shape == (3, 5, config.vocab_size)
    assert loss is None


def test_block_keeps_shape() -> None:
    config = tiny()
    block = Block(config)
    h = torch.randn(2, 5, config.n_embd)
    assert block(h).shape == h.shape


def test_context_longer_than_block_size_raises_torch_index_error() -> None:
    config = tiny()
    model = build_model(config, seed=0)
    idx = torch.zeros(1, config.block_size + 1, dtype=torch.long)
    with pytest.raises(IndexError, match="index out of range in self"):
        model(idx)


def test_build_model_is_deterministic() -> None:
    config = tiny()
    a, b = build_model(config, seed=0), build_model(config, seed=0)
    assert isinstance(a, GPT)
    for (na, pa), (nb, pb) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert na == nb
        assert torch.equal(pa, pb), na

    x, y = random_batch(config)
    _, loss_a = a(x, y)
    _, loss_b = b(x, y)
    loss_a.backward()
    loss_b.backward()
    assert torch.equal(loss_a, loss_b)
    for (name, pa), pb in zip(a.named_parameters(), b.parameters(), strict=True):
        assert pa.grad is not None, name
        assert torch.equal(pa.grad, pb.grad), name

    other = build_model(config, seed=1)
    assert not torch.equal(a.tok_emb.weight, other.tok_emb.weight)


def test_init_follows_nanogpt() -> None:
    model = build_model(tiny(), seed=0)
    assert model.blocks[0].attn.c_attn.bias is not None
    assert torch.count_nonzero(model.blocks[0].attn.c_attn.bias) == 0
    assert abs(model.tok_emb.weight.std().item() - 0.02) < 0.002
    assert abs(model.blocks[0].mlp.fc.weight.std().item() - 0.02) < 0.002
    # untied by default: the output layer is its own parameter
    assert model.lm_head.weight.data_ptr() != model.tok_emb.weight.data_ptr()


def test_causal_mask() -> None:
    config = tiny()
    model = build_model(config, seed=0)
    x, _ = random_batch(config, batch_size=1)
    x2 = x.clone()
    x2[0, -1] = (x[0, -1] + 1) % config.vocab_size
    logits, _ = model(x)
    logits2, _ = model(x2)
    # earlier positions cannot see the last token
    torch.testing.assert_close(logits[:, :-1], logits2[:, :-1], rtol=0, atol=1e-6)
    assert not torch.allclose(logits[:, -1], logits2[:, -1])


def test_mask_buffer_is_not_saved() -> None:
    model = build_model(tiny(), seed=0)
    attn = model.blocks[0].attn
    assert torch.equal(attn.mask, torch.tril(torch.ones(8, 8)).view(1, 1, 8, 8))
    assert not any("mask" in key for key in model.state_dict())


def test_parameter_names() -> None:
    model = build_model(tiny(), seed=0)
    names = [n for n, _ in model.named_parameters()]
    for expected in (
        "blocks.0.ln1.weight",
        "blocks.0.attn.c_attn.weight",
        "blocks.0.mlp.fc.weight",
        "tok_emb.weight",
        "lm_head.weight",
    ):
        assert expected in names
    # 2 embeddings + 12 in the block (ln1, c_attn, c_proj, ln2, fc, proj, each
    # a weight and a bias) + ln_f weight and bias + lm_head weight (no bias)
    assert len(names) == 17


def test_tokenizer_round_trip() -> None:
    text = corpus_text()
    tok = CharTokenizer.from_text(text)
    assert tok.vocab_size == len(set(text))
    assert tok.decode(tok.encode(text)) == text
    assert tok.encode("ab") == [tok.encode("a")[0], tok.encode("b")[0]]


def test_tokenizer_unknown_character() -> None:
    tok = CharTokenizer.from_text("abc")
    with pytest.raises(ValueError, match="'z'"):
        tok.encode("abz")


def test_corpus_is_small_ascii_text() -> None:
    text = corpus_text()
    assert 6_000 <= len(text.encode("ascii")) <= 12_000
    tok, data = encode_corpus()
    assert data.dtype == torch.long and data.dim() == 1
    assert len(data) == len(text)
    assert int(data.max()) == tok.vocab_size - 1


def test_get_batch_targets_are_shifted_inputs() -> None:
    data = torch.arange(100)
    g = torch.Generator().manual_seed(0)
    x, y = get_batch(data, batch_size=4, block_size=8, generator=g)
    assert x.shape == y.shape == (4, 8)
    assert x.dtype == y.dtype == torch.long
    assert torch.equal(y, x + 1)

    again = get_batch(data, 4, 8, torch.Generator().manual_seed(0))
    assert torch.equal(again[0], x)


def test_sgd_step_moves_against_the_gradient() -> None:
    config = tiny()
    model = build_model(config, seed=0)
    x, y = random_batch(config)
    _, loss = model(x, y)
    loss.backward()
    before = model.lm_head.weight.detach().clone()
    grad = model.lm_head.weight.grad.clone()
    sgd_step(model, lr=0.5)
    torch.testing.assert_close(model.lm_head.weight, before - 0.5 * grad)
    _, after = model(x, y)
    assert after.item() < loss.item()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_training_lowers_the_loss(seed: int) -> None:
    tok, data = encode_corpus()
    model = build_model(tiny(tok.vocab_size), seed=seed)
    losses = train(model, data, steps=100, seed=seed)
    assert len(losses) == 100
    assert abs(losses[0] - math.log(tok.vocab_size)) < 0.2
    # from ln(59) ~ 4.08 (uniform over the vocabulary) to about 2.9; over
    # seeds 0-19 the smallest drop measured was 1.04
    assert sum(losses[-10:]) / 10 < losses[0] - 0.8


@pytest.mark.parametrize("mode", [True, False])
def test_estimate_loss_is_the_eval_mode_loss_and_leaves_the_mode_as_it_found_it(mode: bool) -> None:
    tok, data = encode_corpus()
    model = build_model(GPTConfig(**{**vars(tiny(tok.vocab_size)), "dropout": 0.2}), seed=0).train(mode)
    estimates = [estimate_loss(model, data, 2, 8, torch.Generator().manual_seed(1)) for _ in range(2)]
    assert model.training is mode
    x, y = get_batch(data, 8, 8, torch.Generator().manual_seed(1))
    model.eval()
    with torch.no_grad():
        first = model(x, y)[1].item()
    assert estimates[0] == estimates[1]  # dropout off: the same batches give the same loss
    assert abs(estimates[0] - first) < 0.5  # the mean over two batches, the first of which is this one


def test_train_with_validation_evaluates_every_few_steps_and_trains_in_train_mode() -> None:
    tok, data = encode_corpus()
    model = build_model(GPTConfig(**{**vars(tiny(tok.vocab_size)), "dropout": 0.2}), seed=0)
    modes = []
    model.register_forward_pre_hook(lambda module, args: modes.append((module.training, torch.is_grad_enabled())))
    losses, val_losses = train_with_validation(model, data[:9000], data[9000:], steps=12, eval_every=5)
    assert (len(losses), len(val_losses)) == (12, 3)  # before steps 0, 5 and 10
    assert modes.count((False, False)) == 3 and modes.count((True, True)) == 12 and len(modes) == 15
    assert model.training


def test_generate_crops_context() -> None:
    config = tiny()
    model = build_model(config, seed=0)
    idx = torch.zeros(1, 3, dtype=torch.long)
    out = model.generate(idx, max_new_tokens=20, generator=torch.Generator().manual_seed(0))
    assert out.shape == (1, 23)  # well past block_size = 8
    assert torch.equal(out[:, :3], idx)
    assert int(out.min()) >= 0 and int(out.max()) < config.vocab_size

    again = model.generate(idx, max_new_tokens=20, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out, again)


def _inplace_forward(self: Block, h: torch.Tensor) -> torch.Tensor:
    h.add_(self.attn(self.ln1(h)))
    h.add_(self.mlp(self.ln2(h)))
    return h


def test_inplace_residual_breaks_backward(monkeypatch: pytest.MonkeyPatch) -> None:
    config = tiny()
    model = build_model(config, seed=0)
    x, y = random_batch(config, batch_size=1)
    assert x.shape == (1, 8) and config.n_embd == 64

    monkeypatch.setattr(Block, "forward", _inplace_forward)
    _, loss = model(x, y)
    expected = (
        "[torch.FloatTensor [1, 8, 64]], which is output 0 of Add, "
        "is at version 2; expected version 1 instead."
    )
    with pytest.raises(RuntimeError) as excinfo:
        loss.backward()
    assert expected in str(excinfo.value)

    # once restored, the same batch trains normally again
    monkeypatch.undo()
    _, loss = model(x, y)
    loss.backward()
    assert model.tok_emb.weight.grad is not None
