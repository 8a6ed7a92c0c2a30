"""Corpus: sixteen of Shakespeare's sonnets (1609), in the public domain.

A character-level tokenizer and nanoGPT's random-window batching over the
whole corpus. The corpus is small on purpose: the lesson model trains on it
in seconds.
"""

from __future__ import annotations

from importlib.resources import files

import torch
from torch import Tensor


def corpus_text() -> str:
    """The training text shipped inside the package."""
    return (files("minigpt") / "corpus.txt").read_text(encoding="ascii")


class CharTokenizer:
    """Maps each distinct character of a text to an integer id."""

    def __init__(self, chars: list[str]) -> None:
        self.chars = chars
        self.stoi = {ch: i for i, ch in enumerate(chars)}

    @classmethod
    def from_text(cls, text: str) -> CharTokenizer:
        # sorted, so the same text always gives the same ids
        return cls(sorted(set(text)))

    @property
    def vocab_size(self) -> int:
        return len(self.chars)

    def encode(self, s: str) -> list[int]:
        for ch in s:
            if ch not in self.stoi:
                raise ValueError(f"character {ch!r} is not in the vocabulary")
        return [self.stoi[ch] for ch in s]

    def decode(self, ids: list[int]) -> str:
        return "".join(self.chars[i] for i in ids)


def encode_corpus(tokenizer: CharTokenizer | None = None) -> tuple[CharTokenizer, Tensor]:
    """The tokenizer (built from the corpus unless given) and the corpus as ids, (N,)."""
    text = corpus_text()
    if tokenizer is None:
        tokenizer = CharTokenizer.from_text(text)
    data = torch.tensor(tokenizer.encode(text), dtype=torch.long)  # (N,)
    return tokenizer, data


def get_batch(
    data: Tensor, batch_size: int, block_size: int, generator: torch.Generator
) -> tuple[Tensor, Tensor]:
    """`batch_size` random windows of the data and, as targets, the same windows shifted by one."""
    ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)  # (B,)
    x = torch.stack([data[i : i + block_size] for i in ix])  # (B, T)
    y = torch.stack([data[i + 1 : i + 1 + block_size] for i in ix])  # (B, T)
    return x, y
