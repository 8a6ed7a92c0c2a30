"""The learner's block, from file to installed function: compiled (before torch is
imported, so a syntax error costs no torch work), executed in a copy of the target
module's globals, its function checked against the target's signature, and put in
place of the target. Checks and experiments both go through here.

In a check, minigpt's own version of the target is first hidden: a stand-in takes its
place under every name minigpt gives it, so the block cannot call it instead of writing it.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from types import CodeType
from typing import Any

from tutor.core.job import BLOCK_FILENAME, InvalidReason


class BlockInvalid(Exception):
    """The block cannot stand in for the target; `reason` is an `InvalidReason`."""

    def __init__(self, reason: InvalidReason, detail: str, line: int | None = None) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.line = line


def compile_block(block_path: Path) -> CodeType:
    source = block_path.read_bytes()
    try:
        text = source.decode("utf-8").removeprefix("\ufeff")  # a byte order mark, as Python itself allows
    except UnicodeDecodeError as error:
        raise BlockInvalid("encoding", f"byte {error.start} is not UTF-8", source[: error.start].count(b"\n") + 1)
    try:
        return compile(text, str(block_path), "exec", dont_inherit=True)
    except SyntaxError as error:
        raise BlockInvalid("syntax", f"{type(error).__name__}: {error.msg}", error.lineno) from None
    except (ValueError, RecursionError, MemoryError) as error:  # e.g. a NUL byte, absurd nesting
        raise BlockInvalid("syntax", f"{type(error).__name__}: {error}") from None


@dataclass
class Target:
    """The function the lesson has the learner rewrite, e.g. `minigpt.model:Block.forward`."""

    module: Any
    owner: Any  # the module itself, or the class that holds the function
    name: str
    original: Any  # kept before the block runs: it may delete or replace it
    places: list[tuple[Any, str]] = field(default_factory=list)  # where it is installed: (owner or module, name)

    @classmethod
    def resolve(cls, target: str) -> Target:
        module_name, qualname = target.split(":")
        module = importlib.import_module(module_name)
        owner_path, _, name = qualname.rpartition(".")
        owner = getattr(module, owner_path) if owner_path else module
        return cls(module, owner, name, getattr(owner, name), [(owner, name)])

    def hide_original(self) -> None:
        """Put a stand-in wherever minigpt's own function is, under every name minigpt gave it
        (`minigpt.train` imports `get_batch` by name, say); the learner's function goes there too.

        The stand-in has the original's signature and raises when called; nothing here keeps
        the original any longer."""
        original, qualname = self.original, f"{getattr(self.owner, '__name__', '')}.{self.name}".lstrip(".")

        def unavailable(*args: object, **kwargs: object) -> object:
            raise RuntimeError(f"minigpt's own {qualname} is not available to your block: write it yourself")

        unavailable.__signature__ = inspect.signature(original)  # type: ignore[attr-defined]
        for module_name, module in list(sys.modules.items()):
            if module_name == "minigpt" or module_name.startswith(("minigpt.", "tutor.sandbox.")):
                self.places += [(module, key) for key, value in vars(module).items()
                                if value is original and (module, key) not in self.places]
        self.original = unavailable
        self.install(unavailable)

    def learner_function(self, code: CodeType) -> Any:
        """Run the block in a copy of the module's globals and return its function, checked.

        Raises BlockInvalid when it defines none, or one that cannot be called as the target is;
        anything the block's own top-level code raises goes through as it is."""
        namespace = dict(vars(self.module))
        namespace.pop(self.name, None)  # the block must define it itself
        exec(code, namespace)
        function = namespace.get(self.name)
        if function is None:
            raise BlockInvalid("missing_target", self.name)
        if not callable(function):
            raise BlockInvalid("not_callable", self.name)
        expected = signature_problem(self.original, function)
        if expected:
            raise BlockInvalid("signature", f"{self.name}{expected}")
        return function

    def install(self, function: Any) -> None:
        for place, name in self.places:
            setattr(place, name, function)


def signature_problem(control: object, learner: object) -> str | None:
    """None when `learner` can be called the way the tutor calls `control`; else the expected parameters."""
    expected = inspect.signature(control)  # type: ignore[arg-type]
    try:
        actual = inspect.signature(learner)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f"({', '.join(expected.parameters)})"
    shape = [p.kind for p in expected.parameters.values()]
    if [p.kind for p in actual.parameters.values()] != shape:
        return f"({', '.join(expected.parameters)})"
    return None


def learner_line(error: BaseException) -> int | None:
    """The last line of the learner's block on the traceback, if it is there."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).name == BLOCK_FILENAME]
    return frames[-1].lineno if frames else None
