"""A minimal character-level GPT, in the spirit of nanoGPT.

Every line of the attention and the residual block is written out by hand,
because the lessons break them one at a time. As in nanoGPT, dropout and
weight tying are options of the config; both are off by default, on purpose:

- `dropout = 0.0`: a model this small, trained for a hundred steps, underfits
  rather than overfits, so dropout would only slow it down; at p = 0 torch's
  dropout returns its input itself, so the forward pass draws nothing random (a
  learner's run and the control's differ only where their code does) and the
  embedding sum reaches the first block as the output of an `Add` node;
- `tie_weights = False`: `lm_head` keeps its own weight, so that cutting the
  graph visibly leaves the embeddings without a gradient (tied, `tok_emb.weight`
  would still get one through the output layer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
from torch import Tensor
from torch.nn import functional as F


@dataclass
class GPTConfig:
    vocab_size: int = 65
    block_size: int = 8
    n_layer: int = 1
    n_head: int = 4
    n_embd: int = 64
    bias: bool = True
    dropout: float = 0.0  # probability of zeroing an activation while training
    tie_weights: bool = False  # lm_head uses tok_emb's weight

    @classmethod
    def tiny(cls, vocab_size: int) -> GPTConfig:
        """The lesson preset: one forward+backward takes a few ms on a CPU."""
        return cls(vocab_size=vocab_size, block_size=8, n_layer=1, n_head=4, n_embd=64)


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        assert config.n_embd % config.n_head == 0
        # key, query, value projections for all heads, in one matrix
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)
        # dropout on the attention weights, and on what the branch adds to the residual stream
        self.attn_dropout = nn.Dropout(config.dropout)
        self.resid_dropout = nn.Dropout(config.dropout)
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        # causal mask: position t may only look at positions <= t
        mask = torch.tril(torch.ones(config.block_size, config.block_size))
        self.register_buffer(
            "mask", mask.view(1, 1, config.block_size, config.block_size), persistent=False
        )

    def forward(self, x: Tensor) -> Tensor:
        B, T, C = x.size()  # batch, sequence length, embedding dim (n_embd)
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        # scale by 1/sqrt(hs) so the softmax does not saturate as hs grows
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))  # (B, nh, T, T)
        att = att.masked_fill(self.mask[:, :, :T, :T] == 0, float("-inf"))
        att = F.softmax(att, dim=-1)
        att = self.attn_dropout(att)  # in training, each position ignores a random few of the others
        y = att @ v  # (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # re-assemble heads
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        self.proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        return self.dropout(self.proj(F.gelu(self.fc(x))))


class Block(nn.Module):
    """Pre-norm transformer block: communicate (attention), then compute (MLP)."""

    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        h = h + self.attn(self.ln1(h))  # (B, T, C)
        h = h + self.mlp(self.ln2(h))
        return h


def sequence_loss(logits: Tensor, targets: Tensor) -> Tensor:
    """Mean next-token cross-entropy over every position of every sequence."""
    # (B, T, vocab) -> (B*T, vocab) and (B, T) -> (B*T,)
    return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


class GPT(nn.Module):
    def __init__(self, config: GPTConfig) -> None:
        super().__init__()
        self.config = config
        self.tok_emb = nn.Embedding(config.vocab_size, config.n_embd)
        self.pos_emb = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        if config.tie_weights:
            # one Parameter in both places: a token's score is its embedding's dot product
            # with the final hidden state, and both uses add to its gradient
            self.lm_head.weight = self.tok_emb.weight
        self.apply(self._init_weights)

    def _init_weights(self, module: nn.Module) -> None:
        # small normal init as in GPT-2; LayerNorm keeps its ones/zeros default
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.Embedding):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, idx: Tensor, targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        # No check that T <= block_size: past it, pos_emb raises torch's own
        # "IndexError: index out of range in self", which a lesson teaches.
        B, T = idx.size()
        pos = torch.arange(T, device=idx.device)  # (T,)
        h = self.drop(self.tok_emb(idx) + self.pos_emb(pos))  # (B, T, C)
        for block in self.blocks:
            h = block(h)  # (B, T, C)
        logits = self.lm_head(self.ln_f(h))  # (B, T, vocab)
        loss = None if targets is None else sequence_loss(logits, targets)
        return logits, loss

    def configure_optimizers(
        self, weight_decay: float, learning_rate: float, betas: tuple[float, float]
    ) -> torch.optim.AdamW:
        """AdamW with weight decay on the matrices only, as nanoGPT configures it."""
        params = [p for p in self.parameters() if p.requires_grad]  # a frozen one has nothing to learn
        # Decay pulls weights towards 0. That regularises the matrices that mix features; a
        # bias or a LayerNorm weight (1-D) only shifts or scales one feature, and pulling a
        # LayerNorm weight to 0 would silence its feature. The embeddings are 2-D, so they
        # are decayed too: nanoGPT's rule is the tensor's dimension, not the layer's kind
        # (minGPT, before it, kept embeddings out of decay).
        groups = [
            {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
        ]
        return torch.optim.AdamW(groups, lr=learning_rate, betas=betas)

    @torch.no_grad()
    def generate(
        self, idx: Tensor, max_new_tokens: int, generator: torch.Generator | None = None
    ) -> Tensor:
        """Sample `max_new_tokens` tokens after the context `idx` of shape (B, T)."""
        for _ in range(max_new_tokens):
            # the model has only block_size positions, so keep the latest ones
            idx_cond = idx if idx.size(1) <= self.config.block_size else idx[:, -self.config.block_size:]
            logits, _ = self(idx_cond)
            logits = logits[:, -1, :]  # (B, vocab): only the last position predicts
            probs = F.softmax(logits, dim=-1)
            idx_next = torch.multinomial(probs, 1, generator=generator)  # (B, 1)
            idx = torch.cat((idx, idx_next), dim=1)  # (B, T + 1)
        return idx


def build_model(config: GPTConfig, seed: int) -> GPT:
    """A freshly initialised model; the same seed always gives the same weights."""
    torch.manual_seed(seed)
    return GPT(config)
