"""Read a learner run's stderr into a `Diagnosis`.

Pure text work: no torch here, so the tutor can diagnose without paying for
`import torch`. The parser never raises: stderr can hold anything (prints,
warnings, a traceback cut short by a kill, bytes that are not text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tutor.core.job import BLOCK_FILENAME
from tutor.core.results import Diagnosis, DiagnosisKind


_TAIL_CHARS = 200_000  # the final exception is at the end; older text is only noise
_TB_HEADER = "Traceback (most recent call last):"
_CHAIN_MARKERS = (
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)
_ANOMALY_KEY = "Error detected in "

_FRAME = re.compile(r'\s*File "(?P<path>[^\n]*)", line (?P<line>\d+)')
_EXC_LINE = re.compile(r"(?P<name>[A-Za-z_][\w.]{0,200})(?:: ?(?P<msg>.*))?\Z", re.S)
# A Python exception printed without a "Traceback" header (a script's SyntaxError).
_BARE_EXC_LINE = re.compile(r"(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?:Error|Exception|Exit|Interrupt)(?::|\Z)")
# `path:12: UserWarning: ...`: a warning interleaved after a traceback ends its message.
_WARNING_LINE = re.compile(r"\S[^\n]*:\d+: [A-Za-z_]\w*Warning: ")
_ANOMALY = re.compile(r"Error detected in (?P<node>\S+?)\.(?: |\Z)")

_TENSOR = re.compile(r"\[(?P<type>torch\.\w+) \[(?P<shape>[-\d, ]*)\]\]")
_OUTPUT_OF = re.compile(r"which is output (?P<index>\d+) of (?P<op>\w+)")
_VERSIONS = re.compile(r"is at version (?P<found>\d+); expected version (?P<expected>\d+)")
_RESHAPE = re.compile(r"shape '\[(?P<shape>[-\d, ]*)\]' is invalid for input of size \d+")
_INDICES_TYPE = re.compile(r"'indices' to have one of the following scalar types: [^;]*; but got (?P<type>torch\.\w+)")

# Order matters: the first family whose phrase occurs in the message wins
# (a "view of a leaf" message also contains "a leaf Variable ...").
_FAMILIES: tuple[tuple[DiagnosisKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile("|".join(phrases)))
    for kind, phrases in (
        (DiagnosisKind.INPLACE_VERSION, [r"modified by an inplace operation", _VERSIONS.pattern]),
        (DiagnosisKind.VIEW_LEAF_INPLACE, [
            r"a view of a leaf Variable that requires grad is being used in an in-place",
        ]),
        (DiagnosisKind.LEAF_INPLACE, [r"a leaf Variable that requires grad is being used in an in-place"]),
        (DiagnosisKind.VIEW_STRIDE, [r"view size is not compatible with input tensor's size and stride"]),
        (DiagnosisKind.RESHAPE_INVALID, [r"shape '\[[-\d, ]*\]' is invalid for input of size"]),
        (DiagnosisKind.DEVICE_MISMATCH, [
            r"Expected all tensors to be on the same device",
            r"Expected object of device type \w+ but got device type",
        ]),
        (DiagnosisKind.DTYPE_MISMATCH, [
            r"(?:must|to) have the same dtype",
            r"expected scalar type \w+ but found \w+",
            r"'indices' to have one of the following scalar types",
            r"expected target dtype to be",
            r"tensors used as indices must be long",
            r"can't be cast to the desired output type",
            r"Found dtype \w+ but expected \w+",
        ]),
        (DiagnosisKind.SHAPE_MISMATCH, [
            r"shapes cannot be multiplied",
            r"The size of tensor a \(\d+\) must match the size of tensor b \(\d+\)",
            r"Expected input batch_size \(\d+\) to match target batch_size \(\d+\)",
            r"Expected size for first two dimensions of batch2 tensor",
            r"inconsistent tensor size, expected tensor",
            r"Expected target size \[",
            r"0D or 1D target tensor expected",
            r"Sizes of tensors must match except in dimension",
            r"Given normalized_shape=",
            r"The expanded size of the tensor \(\d+\) must match",
            r"1D tensors expected, but got",
            r"Dimension out of range \(expected to be in range of",
            r"size mismatch",
        ]),
        (DiagnosisKind.INDEX_ERROR, [r"index out of range in self", r"index -?\d+ is out of bounds for dimension"]),
        (DiagnosisKind.BACKWARD_TWICE, [r"Trying to backward through the graph a second time"]),
        (DiagnosisKind.NO_GRAD_FN, [r"does not require grad and does not have a grad_fn"]),
        (DiagnosisKind.NONSCALAR_BACKWARD, [r"grad can be implicitly created only for (?:real )?scalar outputs"]),
    )
)


@dataclass
class _Exc:
    """One printed exception: where its traceback starts and what it says."""

    start: int  # offset of its header in the full text
    chained: bool  # printed right after a chaining marker
    exception: str | None = None
    message: str | None = None
    lines: list[int] = field(default_factory=list)  # learner-block frames, in order
    done: bool = False  # its `ExcType: message` line has been read
    more: list[str] = field(default_factory=list)  # the message's further lines


def diagnose(stderr: str) -> Diagnosis:
    """The last exception of `stderr`, read into a Diagnosis; never raises."""
    try:
        return _diagnose(_as_text(stderr))
    except Exception:  # the tutor must always get an answer, even for a parser bug
        return Diagnosis()


def _as_text(raw: object) -> str:
    if isinstance(raw, (bytes, bytearray)):
        return bytes(raw).decode("utf-8", errors="replace")
    text = raw if isinstance(raw, str) else "" if raw is None else str(raw)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates would make the Diagnosis unwritable as JSON
        text = text.encode("utf-8", errors="replace").decode("utf-8")
    return text


def _diagnose(text: str) -> Diagnosis:
    base = max(0, len(text) - _TAIL_CHARS)
    tail = text[base:]
    if base:  # drop the partial line the cut landed in
        newline = tail.find("\n")
        base, tail = (base + newline + 1, tail[newline + 1:]) if newline >= 0 else (base, tail)
    chain = _last_chain(_scan(tail, base))
    if not chain:
        return Diagnosis()
    chosen = next((exc for exc in reversed(chain) if _kind(exc.message) is not DiagnosisKind.UNKNOWN), chain[-1])
    failed_backward, forward_lines = _anomaly(text, chain[0].start)
    lines = forward_lines or chosen.lines
    return _fields(chosen).model_copy(
        update={"failed_backward": failed_backward, "line": lines[-1] if lines else None}
    )


def _scan(tail: str, base: int) -> list[_Exc]:
    """Every exception printed in `tail`, oldest first."""
    rows = tail.split("\n")
    found: list[_Exc] = []
    current: _Exc | None = None
    chained = False
    offset = base
    for row in rows:
        row_start, offset = offset, offset + len(row) + 1
        row = row.rstrip("\r")
        stripped = row.strip()
        if stripped == _TB_HEADER:
            current = _Exc(start=row_start, chained=chained)
            found.append(current)
            chained = False
        elif stripped in _CHAIN_MARKERS:
            current, chained = None, True
        elif current is None:
            continue
        elif not current.done:
            _read_traceback_row(current, row)
        elif _WARNING_LINE.match(row):
            current = None
        else:  # a message that spans several lines
            current.more.append(row)
    if not found:
        bare = _bare_exception(rows, base)
        found = [bare] if bare else []
    for exc in found:
        exc.message = "\n".join([exc.message or "", *exc.more]).rstrip() or None
    return found


def _read_traceback_row(exc: _Exc, row: str) -> None:
    frame = _FRAME.match(row)
    if frame:
        if _is_block(frame["path"]):
            exc.lines.append(int(frame["line"]))
    elif row and not row[0].isspace():  # frames and code are indented; the exception line is not
        exc.done = True
        match = _EXC_LINE.match(row)
        exc.exception = match["name"].rsplit(".", 1)[-1] if match else None
        exc.message = match["msg"] if match else row


def _bare_exception(rows: list[str], base: int) -> _Exc | None:
    """A SyntaxError-style report: indented frame lines, then `Name: message`."""
    for index in range(len(rows) - 1, -1, -1):
        row = rows[index].rstrip("\r")
        if _BARE_EXC_LINE.match(row):
            exc = _Exc(start=base, chained=False)
            _read_traceback_row(exc, row)
            exc.more = [r.rstrip("\r") for r in rows[index + 1:]]
            above = index - 1
            while above >= 0 and rows[above][:1].isspace():
                above -= 1
            for prior in rows[above + 1:index]:
                _read_traceback_row(exc, prior)
            return exc
    return None


def _last_chain(found: list[_Exc]) -> list[_Exc]:
    """The final exception with those it was chained to (`raise ... from`, or raised in `except`)."""
    first = len(found) - 1
    while first > 0 and found[first].chained:
        first -= 1
    return found[max(first, 0):]


def _anomaly(text: str, chain_start: int) -> tuple[str | None, list[int]]:
    """Anomaly mode's warning printed right before this traceback: the failed node and forward frames."""
    at = text.rfind(_ANOMALY_KEY, 0, chain_start)
    if at < 0 or text.find(_TB_HEADER, at, chain_start) >= 0:  # belongs to an earlier exception
        return None, []
    line_end = text.find("\n", at)
    header = _ANOMALY.match(text, at, line_end if line_end >= 0 else chain_start)
    if not header:
        return None, []
    lines: list[int] = []
    for row in text[line_end + 1:chain_start].split("\n") if line_end >= 0 else []:
        if not row[:1].isspace() or row.lstrip().startswith("(Triggered internally"):
            break  # the forward traceback ends where torch's warning trailer begins
        frame = _FRAME.match(row)
        if frame and _is_block(frame["path"]):
            lines.append(int(frame["line"]))
    return header["node"], lines


def _is_block(path: str) -> bool:
    return re.split(r"[\\/]", path)[-1] == BLOCK_FILENAME


def _kind(message: str | None) -> DiagnosisKind:
    if message:
        for kind, pattern in _FAMILIES:
            if pattern.search(message):
                return kind
    return DiagnosisKind.UNKNOWN


def _fields(exc: _Exc) -> Diagnosis:
    """The Diagnosis of one exception, with every field its message states."""
    message = exc.message or ""
    kind = _kind(message)
    found: dict[str, object] = {"kind": kind, "exception": exc.exception, "message": exc.message}
    if kind is DiagnosisKind.INPLACE_VERSION:
        if tensor := _TENSOR.search(message):
            found["tensor_type"] = tensor["type"]
            found["shape"] = _ints(tensor["shape"])
        if output := _OUTPUT_OF.search(message):
            found["output_index"], found["op"] = int(output["index"]), output["op"]
        if versions := _VERSIONS.search(message):
            found["version_found"] = int(versions["found"])
            found["version_expected"] = int(versions["expected"])
    elif kind is DiagnosisKind.RESHAPE_INVALID and (reshape := _RESHAPE.search(message)):
        found["shape"] = _ints(reshape["shape"])
    elif kind is DiagnosisKind.DTYPE_MISMATCH and (indices := _INDICES_TYPE.search(message)):
        found["tensor_type"] = indices["type"]
    return Diagnosis.model_validate(found)


def _ints(listed: str) -> list[int] | None:
    """`1, 8, 64` -> [1, 8, 64]; `` -> [] (a 0-d tensor); None when unreadable."""
    parts = [part.strip() for part in listed.split(",") if part.strip()]
    try:
        return [int(part) for part in parts]
    except ValueError:
        return None
