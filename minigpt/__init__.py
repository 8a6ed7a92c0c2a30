"""A small character-level GPT, written to be read and broken."""

from __future__ import annotations

from minigpt.data import CharTokenizer
from minigpt.model import GPT, GPTConfig

__all__ = ["GPT", "GPTConfig", "CharTokenizer"]
