"""Read a run's stderr, or a traceback pasted from anywhere, into a `Diagnosis`.

Pure text work: no torch here, so the tutor can diagnose without paying for
`import torch`. The parser never raises: stderr can hold anything (prints,
warnings, a traceback cut short by a kill, bytes that are not text), and a
pasted error can come from any torch version, device or launcher (`[rank0]:`
prefixes, a C++ `what():`, Markdown fences, a sentence around the message).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tutor.core.job import BLOCK_FILENAME
from tutor.core.results import Diagnosis, DiagnosisKind


_TAIL_CHARS = 200_000  # the final exception is at the end; older text is only noise
_TB_HEADER = "Traceback (most recent call last):"
_ORIGINAL_TB = "Original Traceback (most recent call last):"  # a DataLoader worker's re-raise
_CHAIN_MARKERS = (
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)
_ANOMALY_KEY = "Error detected in "
_MAX_PARAGRAPHS = 50  # of a message; more is a program's output after its traceback
# Errors of a launcher (torchrun, accelerate) that only report that a worker failed.
_LAUNCHER_ERRORS = {"ChildFailedError", "CalledProcessError"}

# What a paste or a launcher adds in front of or around each line.
_RANK_PREFIX = re.compile(r"\[(?:rank|default)\d+\]:[ ]?")
_ANSI_STYLE = re.compile(r"\x1b\[[0-9;]*m")  # torch.load's refusal prints a warning in bold
_FENCE = re.compile(r"\s*```[\w+-]*\s*")
_BOLD = re.compile(r"\*\*(?P<inner>.*)\*\*")

_FRAME = re.compile(r'\s*File "(?P<path>[^\n]*)", line (?P<line>\d+)(?:, in (?P<function>.*))?')
_IPYTHON_FRAME = re.compile(r"\s*File (?P<path>[^\s\"][^\n]*?):(?P<line>\d+), in (?P<function>\w+)")
_EXC_LINE = re.compile(r"(?P<name>[A-Za-z_][\w.]{0,200})(?:: ?(?P<msg>.*))?\Z", re.S)
# A Python exception printed without a "Traceback" header (a script's SyntaxError, a cut paste).
_BARE_EXC_LINE = re.compile(r"(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?:Error|Exception|Exit|Interrupt)(?::|\Z)")
# An exception named inside a sentence: `I get RuntimeError: ...`.
_NAMED_IN_LINE = re.compile(r"(?<![A-Za-z0-9_.])(?P<name>(?:[A-Za-z_]\w*\.)*[A-Za-z_]\w*(?:Error|Exception)): ")
_CPP_ABORT = re.compile(r"terminate called after throwing an instance of '(?P<name>[^']+)'")
_CPP_WHAT = re.compile(r"\s*what\(\):\s*(?P<msg>.*)")
# `path:12: UserWarning: ...`: a warning interleaved after a traceback ends its message.
_WARNING_LINE = re.compile(r"\S[^\n]*:\d+: [A-Za-z_]\w*Warning: ")
_GLUED_WARNING = re.compile(r"/\S*\.py:\d+: [A-Za-z_]\w*Warning: ")  # printed on the same line
# Lines that end a message: loggers, launchers, editors, progress bars, C++ trailers.
_MESSAGE_END = re.compile(
    r"[IWEF]\d{4} \d\d:\d\d:\d\d"  # glog, as torch.distributed prints it
    r"|\[[IWEF][^\]]*\.(?:cpp|cc|h):\d+\]"  # c10 warnings: [W CudaIPCTypes.cpp:15]
    r"|\d{4}-\d\d-\d\d[ T]\d\d:\d\d"  # a timestamped log line
    r"|(?:DEBUG|INFO|WARNING|ERROR|CRITICAL):"  # the logging module's default format
    r"|wandb:|\[Finished in |Process finished with exit code|Exception ignored in"
    r"|Exception raised from |frame #\d+: |terminate called "
    r"|.*\d+%\|"  # tqdm
)
_ANOMALY = re.compile(r"Error detected in (?P<node>\S+?)\.(?: |\Z)")
_ASSERTION = re.compile(r"Assertion `(?P<condition>[^`]*)` failed")
_INDEX_ASSERTION = re.compile(r"[Ii]ndex|idx|n_classes|out of bounds")

_TENSOR = re.compile(r"\[(?P<type>torch\.[\w.]+|[A-Z]\w*Type) \[(?P<shape>[^\]\n]*)\]\]")
_OUTPUT_OF = re.compile(r"which is output (?P<index>\d+) of (?P<op>[\w:]+)")
_VERSIONS = re.compile(r"is at version (?P<found>\d+); expected version (?P<expected>\d+)")
# `c10::Half` (torch 2.x), `at::Half` or `Half` (older): the type is the last name.
_OVERFLOW = re.compile(r"value cannot be converted to type (?:\w+::)*(?P<dtype>\w+) without overflow")
_RESHAPE = re.compile(r"shape '\[(?P<shape>[-\d, ]*)\]' is invalid for input of size \d+")
_INDICES_TYPE = re.compile(
    r"'indices' to have (?:one of the following scalar types: [^;]*|scalar type \w+); but got (?P<type>torch\.[\w.]+)"
)
# torch 1.x: `expected device cuda:2 and dtype Float but got device cuda:2 and dtype Long`.
_DEVICE_AND_DTYPE = re.compile(
    r"(?:device|backend) (?P<device>\S+) and dtype (?P<dtype>\w+)\W.*?(?:device|backend) (?P<device2>\S+) and dtype (?P<dtype2>\w+)"
)

# A strict load_state_dict lists each kind of key on a line of its own: `Missing key(s) in
# state_dict: "a", "b". ` (the keys quoted, the list ended by a full stop).
_STATE_DICT_KEYS = re.compile(r"(?P<which>Missing|Unexpected) key\(s\) in state_dict: (?P<keys>[^\n]*)")
_QUOTED_KEY = re.compile(r'"(?P<key>[^"\n]*)"')
# torch 2.4 and later name the global (`Unsupported global: GLOBAL minigpt.model.GPTConfig was
# not an allowed global`); torch 2.0 to 2.3 the class (`Unsupported class minigpt.model.GPTConfig`).
_REFUSED_GLOBAL = re.compile(r"Unsupported (?:global: GLOBAL|class) (?P<name>[A-Za-z_][\w.]*\w)")

# Order matters: the first family whose phrase occurs in the message wins
# (a "view of a leaf" message also contains "a leaf Variable ...").
_FAMILIES: tuple[tuple[DiagnosisKind, re.Pattern[str]], ...] = tuple(
    (kind, re.compile("|".join(phrases)))
    for kind, phrases in (
        (DiagnosisKind.INPLACE_VERSION, [r"modified by an inplace", _VERSIONS.pattern]),
        (DiagnosisKind.VIEW_LEAF_INPLACE, [
            r"a view of a leaf Variable that requires grad is being used in an in-place",
        ]),
        (DiagnosisKind.LEAF_INPLACE, [r"a leaf Variable that requires grad is being used in an in-place"]),
        (DiagnosisKind.VIEW_STRIDE, [r"view size is not compatible with input tensor's size and stride"]),
        (DiagnosisKind.RESHAPE_INVALID, [r"shape '\[[-\d, ]*\]' is invalid for input of size"]),
        (DiagnosisKind.DEVICE_MISMATCH, [
            r"Expected all tensors to be on the same device",
            r"Expected object of device type \w+ but got device type",
            r"Expected object of backend \w+ but got backend",
        ]),
        (DiagnosisKind.DTYPE_MISMATCH, [
            r"(?:must|to) have the same dtype",
            r"expected scalar type \w+ but found \w+",
            r"'indices' to have (?:one of the following scalar types|scalar type)",
            r"expected target dtype to be",
            r"tensors used as indices must be long",
            r"can't be cast to the desired output type",
            r"Found dtype \w+ but expected \w+",
            r"Expected object of (?:scalar )?type \S+ but (?:got|found) (?:scalar )?type",
            r"expected type torch\.\S+ but got torch\.",
            r"output with type \S+ doesn't match the desired type",
        ]),
        # before shapes: a load that lacks keys may also list a `size mismatch for ...`
        (DiagnosisKind.STATE_DICT_MISMATCH, [r"(?:Missing|Unexpected) key\(s\) in state_dict: "]),
        (DiagnosisKind.WEIGHTS_ONLY_REFUSED, [r"Weights only load failed", _REFUSED_GLOBAL.pattern]),
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
            r"stack expects each tensor to be equal size",
        ]),
        (DiagnosisKind.INDEX_ERROR, [
            r"index out of range in self",
            r"index -?\d+ is out of bounds for dimension",
            r"index out of range at ",  # torch 1.0-1.2, TH
            r"index out of range: Tried to access index",
            r"Target -?\d+ (?:is )?out of bounds",
        ]),
        (DiagnosisKind.BACKWARD_TWICE, [r"Trying to backward through the graph a second time"]),
        (DiagnosisKind.NO_GRAD_FN, [r"does not require grad and does not have a grad_fn"]),
        (DiagnosisKind.NONSCALAR_BACKWARD, [r"grad can be implicitly created only for (?:real )?scalar outputs"]),
        (DiagnosisKind.DEVICE_ASSERT, [r"device-side assert triggered"]),
        (DiagnosisKind.VALUE_OVERFLOW, [_OVERFLOW.pattern]),
    )
)


@dataclass(frozen=True)
class Frame:
    """One `File "...", line N, in f` of a traceback."""

    path: str
    line: int
    function: str | None = None


@dataclass(frozen=True)
class Reading:
    """The diagnosis with the tracebacks it came from, outermost frame first."""

    diagnosis: Diagnosis
    frames: tuple[Frame, ...] = ()  # the diagnosed exception's traceback
    forward_frames: tuple[Frame, ...] = ()  # anomaly mode's traceback of the forward call


@dataclass
class _Exc:
    """One printed exception: where its traceback starts and what it says."""

    start: int  # offset of its header in the full text
    chained: bool  # printed right after a chaining marker
    indent: str = ""  # a pasted traceback indented as a whole
    exception: str | None = None
    message: str | None = None
    frames: list[Frame] = field(default_factory=list)
    done: bool = False  # its `ExcType: message` line has been read
    more: list[str] = field(default_factory=list)  # the message's further lines


def diagnose(stderr: str) -> Diagnosis:
    """The last exception of `stderr`, read into a Diagnosis; never raises."""
    return read_error(stderr).diagnosis


def read_error(stderr: str) -> Reading:
    """The last exception of `stderr` with its frames; never raises."""
    try:
        return _read(_as_text(stderr))
    except Exception:  # the tutor must always get an answer, even for a parser bug
        return Reading(Diagnosis())


def _as_text(raw: object) -> str:
    if isinstance(raw, (bytes, bytearray)):
        return bytes(raw).decode("utf-8", errors="replace")
    text = raw if isinstance(raw, str) else "" if raw is None else str(raw)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates would make the Diagnosis unwritable as JSON
        text = text.encode("utf-8", errors="replace").decode("utf-8")
    return text


def _read(text: str) -> Reading:
    base = max(0, len(text) - _TAIL_CHARS)
    tail = text[base:]
    if base:  # drop the partial line the cut landed in
        newline = tail.find("\n")
        base, tail = (base + newline + 1, tail[newline + 1:]) if newline >= 0 else (base, tail)
    raws = tail.split("\n")
    kept = [(row, start) for index, (raw, start) in enumerate(zip(raws, _row_starts(tail, base)))
            if (row := _unwrap(raw, _split_paste(raws, index))) is not None]
    rows, starts = [row for row, _ in kept], [start for _, start in kept]
    chain = _last_chain(_settle(_scan(rows, starts), rows, starts))
    if not chain:
        return Reading(Diagnosis())
    chosen = next((exc for exc in reversed(chain) if _kind(exc.message) is not DiagnosisKind.UNKNOWN), chain[-1])
    chosen = _original(chosen)
    failed_backward, forward = _anomaly(text, chain[0].start)
    lines = [frame.line for frame in (forward or chosen.frames) if _is_block(frame.path)]
    diagnosis = _fields(chosen, "\n".join(rows)).model_copy(
        update={"failed_backward": failed_backward, "line": lines[-1] if lines else None}
    )
    return Reading(diagnosis, tuple(chosen.frames), tuple(forward))


def _unwrap(row: str, split_paste: bool = False) -> str | None:
    """A row as the program printed it: without `\\r`, a launcher's `[rank0]:` or Markdown bold.
    A Markdown fence is a blank line, or nothing at all where one paste was split in two blocks."""
    row = _ANSI_STYLE.sub("", row.rstrip("\r"))
    if prefix := _RANK_PREFIX.match(row):
        row = row[prefix.end():]
    if _FENCE.fullmatch(row):
        return None if split_paste else ""
    if bold := _BOLD.fullmatch(row.strip()):
        row = row[: len(row) - len(row.lstrip())] + bold["inner"]
    return row


def _split_paste(raws: list[str], index: int) -> bool:
    """A closing fence right before an opening one: the same output pasted in two blocks."""
    return any(0 <= other < len(raws) and _FENCE.fullmatch(raws[other].rstrip("\r"))
               for other in (index - 1, index + 1))


def _row_starts(tail: str, base: int) -> list[int]:
    starts, offset = [], base
    for row in tail.split("\n"):
        starts.append(offset)
        offset += len(row) + 1
    return starts


def _scan(rows: list[str], starts: list[int]) -> list[_Exc]:
    """Every exception printed with a traceback header (or as a C++ abort), oldest first."""
    found: list[_Exc] = []
    current: _Exc | None = None
    chained = False
    for row, row_start in zip(rows, starts):
        stripped = row.strip()
        if stripped == _TB_HEADER:
            current = _Exc(start=row_start, chained=chained, indent=row[: len(row) - len(row.lstrip())])
            found.append(current)
            chained = False
        elif abort := _CPP_ABORT.match(stripped):
            current = _Exc(start=row_start, chained=False, exception=abort["name"])
            found.append(current)
        elif stripped in _CHAIN_MARKERS:
            current, chained = None, True
        elif current is None:
            continue
        elif current.exception and not current.done and (what := _CPP_WHAT.match(row)):
            current.done, current.message = True, what["msg"]
        elif not current.done:
            _read_traceback_row(current, _dedent(row, current.indent))
        elif _ends_message(row):
            current = None
        else:  # a message that spans several lines
            current.more.append(_dedent(row, current.indent))
    for exc in found:
        _close(exc)
    return found


def _dedent(row: str, indent: str) -> str:
    return row[len(indent):] if indent and row.startswith(indent) else row


def _ends_message(row: str) -> bool:
    """A warning or a log line after an exception's message is no longer part of it."""
    stripped = row.strip()
    return bool(stripped) and (
        bool(_WARNING_LINE.match(row) or _MESSAGE_END.match(stripped))
        or not stripped.strip("<>=-*#`")  # `>>`, `---`: a paste's own marks (not a traceback's `^^^`)
    )


def _close(exc: _Exc) -> None:
    """The message up to its last paragraph that states a fact: paragraphs after a blank line
    that add nothing (the poster's next sentence, a log printed after the traceback) are left out."""
    parts = _paragraphs(exc.more)[:_MAX_PARAGRAPHS]
    first = 1 if parts and parts[0][0].strip() else 0  # the lines right under the exception line

    def joined(count: int) -> str:
        return "\n".join([exc.message or "", *(row for part in parts[:count] for row in part)])

    whole = _facts(joined(len(parts)))
    count = next(count for count in range(first, len(parts) + 1) if _facts(joined(count)) == whole)
    message = joined(count).rstrip()
    if glued := _GLUED_WARNING.search(message):
        message = message[: glued.start()].rstrip()
    exc.message = message or None


def _paragraphs(rows: list[str]) -> list[list[str]]:
    """`rows` cut before each blank line that follows text; each part keeps its leading blanks."""
    parts: list[list[str]] = [[]]
    for row in rows:
        if not row.strip() and parts[-1] and parts[-1][-1].strip():
            parts.append([])
        parts[-1].append(row)
    return [part for part in parts if part]


def _facts(message: str) -> dict[str, object]:
    return _fields(_Exc(start=0, chained=False, message=message), "").model_dump(exclude={"message"})


def _read_traceback_row(exc: _Exc, row: str) -> None:
    frame = _FRAME.match(row) or _IPYTHON_FRAME.match(row)
    if frame:
        exc.frames.append(Frame(frame["path"], int(frame["line"]), frame["function"]))
    elif row and not row[0].isspace():  # frames and code are indented; the exception line is not
        exc.done = True
        match = _EXC_LINE.match(row)
        exc.exception = match["name"].rsplit(".", 1)[-1] if match else None
        exc.message = match["msg"] if match else row


def _settle(found: list[_Exc], rows: list[str], starts: list[int]) -> list[_Exc]:
    """Drop a last traceback that says nothing (cut short, or a launcher reporting that a worker
    failed) when the worker's own error was printed before it; with no traceback, the error
    printed without one."""
    while found and (not found[-1].done or found[-1].exception in _LAUNCHER_ERRORS):
        before = len([start for start in starts if start < found[-1].start])
        earlier = found[:-1] or _headerless(rows[:before], starts[:before])
        if not earlier:
            break
        found = earlier
    return found or _headerless(rows, starts)


def _headerless(rows: list[str], starts: list[int]) -> list[_Exc]:
    exc = _bare_exception(rows, starts) or _quoted_error(rows, starts)
    if exc:
        _close(exc)
    return [exc] if exc else []


def _bare_exception(rows: list[str], starts: list[int]) -> _Exc | None:
    """A SyntaxError-style report, or a paste without its header: indented frames, then `Name: message`."""
    for index in range(len(rows) - 1, -1, -1):
        if _BARE_EXC_LINE.match(rows[index]):
            exc = _Exc(start=starts[index], chained=False)
            above = index - 1
            while above >= 0 and (rows[above][:1].isspace() or _IPYTHON_FRAME.match(rows[above])):
                above -= 1
            for prior in rows[above + 1:index]:
                _read_traceback_row(exc, prior)
            _read_traceback_row(exc, rows[index])
            exc.more = _continuation(rows[index + 1:])
            return exc
    return None


def _quoted_error(rows: list[str], starts: list[int]) -> _Exc | None:
    """An error quoted inside a sentence, pasted without its exception name, or only a GPU
    kernel's assertion lines: the last line that holds a phrase the tutor knows."""
    for index in range(len(rows) - 1, -1, -1):
        row = rows[index].strip()
        if _kind(row) is DiagnosisKind.UNKNOWN and not _ASSERTION.search(row):
            continue
        exc = _Exc(start=starts[index], chained=False, done=True)
        named = None
        for named in _NAMED_IN_LINE.finditer(row):
            pass
        if named:
            exc.exception, exc.message = named["name"].rsplit(".", 1)[-1], row[named.end():]
        else:
            exc.message = row
        exc.more = _continuation(rows[index + 1:])
        return exc
    return None


def _continuation(rows: list[str]) -> list[str]:
    more: list[str] = []
    for row in rows:
        if _ends_message(row):
            break
        more.append(row)
    return more


def _last_chain(found: list[_Exc]) -> list[_Exc]:
    """The final exception with those it was chained to (`raise ... from`, or raised in `except`)."""
    first = len(found) - 1
    while first > 0 and found[first].chained:
        first -= 1
    return found[max(first, 0):]


def _original(exc: _Exc) -> _Exc:
    """A DataLoader worker's error re-raised in the main process: the worker's own exception,
    under the main process's frames (the learner's loop, then the worker's dataset code)."""
    message = exc.message or ""
    at = message.find(_ORIGINAL_TB)
    if at < 0:
        return exc
    rows = message[at + len(_ORIGINAL_TB):].split("\n")
    inner = _Exc(start=exc.start, chained=False, frames=list(exc.frames))
    for row in rows:
        if inner.done:
            if _ends_message(row):
                break
            inner.more.append(row)
        else:
            _read_traceback_row(inner, row)
    _close(inner)
    return inner if inner.done else exc


def _anomaly(text: str, chain_start: int) -> tuple[str | None, list[Frame]]:
    """Anomaly mode's warning for this traceback (printed before it, or glued after it in a
    notebook): the failed node and the forward frames."""
    at = text.rfind(_ANOMALY_KEY, 0, chain_start)
    if at < 0 or text.find(_TB_HEADER, at, chain_start) >= 0:  # belongs to an earlier exception
        at = text.find(_ANOMALY_KEY, chain_start)
        if at < 0 or text.find(_TB_HEADER, chain_start + 1, at) >= 0:
            return None, []
    line_end = text.find("\n", at)
    header = _ANOMALY.match(text, at, line_end if line_end >= 0 else len(text))
    if not header:
        return None, []
    frames: list[Frame] = []
    for row in text[line_end + 1:].split("\n") if line_end >= 0 else []:
        row = _unwrap(row) or ""
        if not row[:1].isspace() or row.lstrip().startswith("(Triggered internally"):
            break  # the forward traceback ends where torch's warning trailer begins
        if frame := _FRAME.match(row):
            frames.append(Frame(frame["path"], int(frame["line"]), frame["function"]))
    return header["node"], frames


def _is_block(path: str) -> bool:
    return re.split(r"[\\/]", path)[-1] == BLOCK_FILENAME


def _kind(message: str | None) -> DiagnosisKind:
    if message:
        if pair := _DEVICE_AND_DTYPE.search(message):  # both named: whichever differs
            if pair["dtype"] != pair["dtype2"]:
                return DiagnosisKind.DTYPE_MISMATCH
            if pair["device"] != pair["device2"]:
                return DiagnosisKind.DEVICE_MISMATCH
        for kind, pattern in _FAMILIES:
            if pattern.search(message):
                return kind
    return DiagnosisKind.UNKNOWN


def _fields(exc: _Exc, text: str) -> Diagnosis:
    """The Diagnosis of one exception, with every field its message states."""
    message = exc.message or ""
    kind = _kind(message)
    if kind in (DiagnosisKind.DEVICE_ASSERT, DiagnosisKind.UNKNOWN) and _index_assertion(text):
        kind = DiagnosisKind.INDEX_ERROR  # the kernel's own assertion says what was out of range
    found: dict[str, object] = {"kind": kind, "exception": exc.exception, "message": exc.message}
    if kind is DiagnosisKind.INPLACE_VERSION:
        if tensor := _TENSOR.search(message):
            found["tensor_type"] = tensor["type"]
            found["shape"] = _ints(tensor["shape"])
        if output := _OUTPUT_OF.search(message):
            found["output_index"], found["printed_op"] = int(output["index"]), output["op"]
            found["op"] = _node_op(output["op"])
        if versions := _VERSIONS.search(message):
            found["version_found"] = int(versions["found"])
            found["version_expected"] = int(versions["expected"])
    elif kind is DiagnosisKind.RESHAPE_INVALID and (reshape := _RESHAPE.search(message)):
        found["shape"] = _ints(reshape["shape"])
    elif kind is DiagnosisKind.DTYPE_MISMATCH and (indices := _INDICES_TYPE.search(message)):
        found["tensor_type"] = indices["type"]
    elif kind is DiagnosisKind.VALUE_OVERFLOW and (overflow := _OVERFLOW.search(message)):
        found["dtype"] = overflow["dtype"]
    elif kind is DiagnosisKind.STATE_DICT_MISMATCH:
        for listed in _STATE_DICT_KEYS.finditer(message):
            found[f"{listed['which'].lower()}_keys"] = [key["key"] for key in _QUOTED_KEY.finditer(listed["keys"])]
    elif kind is DiagnosisKind.WEIGHTS_ONLY_REFUSED and (refused := _REFUSED_GLOBAL.search(message)):
        found["refused_global"] = refused["name"]
    return Diagnosis.model_validate(found)


def _index_assertion(text: str) -> bool:
    return any(_INDEX_ASSERTION.search(match["condition"]) for match in _ASSERTION.finditer(text))


def _node_op(printed: str) -> str:
    """`TBackward0` -> `T`, `torch::autograd::CopySlices` -> `CopySlices`: the contract's op name."""
    name = printed.rsplit("::", 1)[-1]
    return re.sub(r"Backward\d*\Z", "", name) or name


def _ints(listed: str) -> list[int] | None:
    """`1, 8, 64` -> [1, 8, 64]; `` -> [] (a 0-d tensor); None when unreadable."""
    parts = [part.strip() for part in listed.split(",") if part.strip()]
    try:
        return [int(part) for part in parts]
    except ValueError:
        return None
