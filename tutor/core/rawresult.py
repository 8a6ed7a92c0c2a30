"""A run's raw result as bytes on the pipe, and read back with every size checked.

The frame: a magic line, the header's length (4 bytes, big-endian), the header (a
`RawResult` as JSON), then each tensor's bytes in the header's order, native byte order
(both ends run on this machine). Reading never trusts a length it has not checked
against the bytes actually there.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field

from pydantic import ValidationError

from tutor.core.job import RawResult, TensorInfo

MAGIC = b"minigpt-tutor result 1\n"
ITEM_FORMATS = {"float32": "f", "float64": "d", "int64": "q", "bool": "B"}  # memoryview formats
ITEM_BYTES = {"float32": 4, "float64": 8, "int64": 8, "bool": 1}
_LENGTH = struct.Struct(">I")


class MalformedResult(ValueError):
    """The bytes are not a result this tutor can read; the message says why, for the learner."""


@dataclass(frozen=True)
class Values:
    """A tensor as read back: its shape and its elements, without a copy."""

    dtype: str
    shape: tuple[int, ...]
    data: memoryview  # cast to the dtype's format: iterating gives Python numbers


@dataclass
class Observed:
    """A decoded result: its header, and its tensors by group and name (None: absent, "other": not a tensor)."""

    header: RawResult
    tensors: dict[str, Values | str | None] = field(default_factory=dict)
    outputs: dict[str, Values | str | None] = field(default_factory=dict)
    other_shape: dict[str, Values | str | None] = field(default_factory=dict)


def encode(header: RawResult, payloads: list[bytes]) -> bytes:
    body = header.model_dump_json().encode("utf-8")
    return b"".join([MAGIC, _LENGTH.pack(len(body)), body, *payloads])


def decode(data: bytes) -> Observed:
    if not data.startswith(MAGIC):
        raise MalformedResult("it does not start as a result does" if data else "it is empty")
    start = len(MAGIC) + _LENGTH.size
    if len(data) < start:
        raise MalformedResult("it ends inside its header")
    (length,) = _LENGTH.unpack_from(data, len(MAGIC))
    if length > len(data) - start:
        raise MalformedResult("its header is longer than the result")
    try:
        header = RawResult.model_validate_json(data[start : start + length])
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise MalformedResult(f"its header is not valid: {where}: {problem['msg']}".replace(": :", ":")) from None
    observed = Observed(header)
    view = memoryview(data)[start + length :]
    offset = 0
    for info in header.tensors:
        values, size = _values(info, view[offset:])
        offset += size
        group = {"tensors": observed.tensors, "outputs": observed.outputs, "other_shape": observed.other_shape}[info.group]
        if info.name in group:
            raise MalformedResult(f"it names the tensor {info.name!r} twice")
        group[info.name] = values
    if offset != len(view):
        raise MalformedResult(f"{len(view) - offset} bytes follow its last tensor")
    return observed


def _values(info: TensorInfo, rest: memoryview) -> tuple[Values | str | None, int]:
    if info.kind == "none":
        return None, 0
    if info.kind == "other":
        return "other", 0
    if any(size < 0 for size in info.shape):
        raise MalformedResult(f"the tensor {info.name!r} has a negative size")
    size = math.prod(info.shape) * ITEM_BYTES[info.dtype]
    if size > len(rest):
        raise MalformedResult(f"the tensor {info.name!r} is longer than the result")
    data = rest[:size].cast("B").cast(ITEM_FORMATS[info.dtype])
    return Values(info.dtype, tuple(info.shape), data), size
