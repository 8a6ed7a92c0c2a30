"""The type the learner's function returns, held against what the original returned.

A block that returns an int where the original returned a Tensor would otherwise fail
somewhere deep in the model with a confusing message; the tutor says it plainly instead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


class WrongReturnType(Exception):
    """The learner's function returned another type than the original did for the same call."""


class ReturnTypes:
    """Records the original's return type call by call, then checks the learner's calls against it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._types: list[type] = []

    def recording(self, original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def record(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            self._types.append(type(result))
            return result

        return record

    def checking(self, learner: Callable[..., Any]) -> Callable[..., Any]:
        calls = iter(range(len(self._types)))

        @functools.wraps(learner)
        def check(*args: Any, **kwargs: Any) -> Any:
            result = learner(*args, **kwargs)
            expected = self._types[next(calls, len(self._types) - 1)] if self._types else None
            if expected is not None and not isinstance(result, expected):
                raise WrongReturnType(f"{type(result).__name__} ≠ {expected.__name__}")
            return result

        return check
