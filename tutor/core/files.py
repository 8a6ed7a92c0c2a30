"""Reading a file a learner can point the tutor at: a regular file, and no more than a cap.

A FIFO would block a plain `open` until someone writes to it, and `/dev/zero` never
ends; so the file is opened without waiting, looked at, and read only if it is a
regular file of a sane size.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

BLOCK_BYTES = 16 << 20  # a learner's block (the tutor runs a 10 MB one)
LESSON_BYTES = 1 << 20  # a lesson file is a few tens of KB


class UnreadableFile(ValueError):
    """The path is not a file the tutor reads; the message says why, naming the path."""


def read_regular_file(path: Path | str, limit: int) -> bytes:
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)  # a FIFO opens without a writer
    except FileNotFoundError:
        raise UnreadableFile(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UnreadableFile(f"{path}: is a folder, not a file") from None
    except OSError as error:
        raise UnreadableFile(f"{path}: cannot be read: {error.strerror}") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise UnreadableFile(f"{path}: is a folder, not a file")
        if not stat.S_ISREG(mode):
            raise UnreadableFile(f"{path}: is not a regular file (a FIFO, a device or a socket); give a file")
        os.set_blocking(descriptor, True)
        with os.fdopen(os.dup(descriptor), "rb") as file:
            data = file.read(limit + 1)
    except OSError as error:
        raise UnreadableFile(f"{path}: cannot be read: {error.strerror}") from None
    finally:
        os.close(descriptor)
    if len(data) > limit:
        raise UnreadableFile(f"{path}: is larger than {limit >> 20} MB")
    return data


def last_line_fields(path: Path, limit: int) -> list[str]:
    """The fields of the last complete line of a file a run appends to; none if it wrote
    none, or if what is there is not a regular file of at most `limit` bytes (the learner's
    block can write there too)."""
    try:
        lines = read_regular_file(path, limit).decode("utf-8", "replace").split("\n")[:-1]  # the last may be half-written
    except UnreadableFile:
        return []
    return lines[-1].split() if lines else []
