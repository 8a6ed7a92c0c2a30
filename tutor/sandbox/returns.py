"""The type a function returns, call by call, kept as plain names for the tutor.

The control's run records what minigpt's own function returns, the learner's run what
the block's returns; the tutor sets them side by side, so a block that returns an int
where the original returned a Tensor is told so plainly, not by a confusing error
somewhere deep in the model.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

CALLS_KEPT = 256
NAMES_KEPT = 16


class ReturnTypes:
    """Wraps a function so that each call's result type (with its bases) is kept, for the first calls."""

    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    def recording(self, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def record(*args: Any, **kwargs: Any) -> Any:
            result = function(*args, **kwargs)
            if len(self.seen) < CALLS_KEPT:
                self.seen.append([kind.__name__[:200] for kind in type(result).__mro__[:NAMES_KEPT]])
            return result

        return record
