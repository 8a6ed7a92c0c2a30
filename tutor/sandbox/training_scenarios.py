"""Scenarios that train the mini-GPT for a few steps."""

from __future__ import annotations
