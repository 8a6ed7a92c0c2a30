"""The sandboxed child: compile the learner's block, then run the lesson's scenario
twice (control, then the learner's block in place of the target) and compare.

The block is compiled before torch is imported, so a syntax error costs no torch work.
"""

from __future__ import annotations

import inspect
import os
import resource
import traceback
from pathlib import Path
from types import CodeType

from tutor.core.job import BLOCK_FILENAME, JOB_FILENAME, REPORT_FILENAME, ChildReport, InvalidReason, Job


def run_in(scratch: Path) -> int:
    job = Job.model_validate_json((scratch / JOB_FILENAME).read_text(encoding="utf-8"))
    limit_resources(job.memory_mb)
    report = run_job(job, scratch / BLOCK_FILENAME)
    partial = scratch / (REPORT_FILENAME + ".part")
    partial.write_text(report.model_dump_json(), encoding="utf-8")
    os.replace(partial, scratch / REPORT_FILENAME)  # the tutor never reads half a report
    return 0


def limit_resources(memory_mb: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 2**20, memory_mb * 2**20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_job(job: Job, block_path: Path) -> ChildReport:
    compiled = compile_block(block_path)
    if isinstance(compiled, ChildReport):
        return compiled
    from tutor.sandbox import scenarios  # torch arrives here, once the block compiles

    return scenarios.run_against_control(job, compiled)


def compile_block(block_path: Path) -> CodeType | ChildReport:
    try:
        source = block_path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        line = block_path.read_bytes()[: error.start].count(b"\n") + 1
        return invalid("encoding", f"byte {error.start} is not UTF-8", line)
    try:
        return compile(source, str(block_path), "exec", dont_inherit=True)
    except SyntaxError as error:
        return invalid("syntax", f"{type(error).__name__}: {error.msg}", error.lineno)
    except (ValueError, RecursionError, MemoryError) as error:  # e.g. a NUL byte, absurd nesting
        return invalid("syntax", f"{type(error).__name__}: {error}", None)


def define_learner_function(code: CodeType, module_globals: dict[str, object], name: str) -> object:
    """Execute the block in a copy of the target module's globals; return what it names `name`."""
    namespace = dict(module_globals)
    namespace.pop(name, None)  # the block must define it itself
    exec(code, namespace)
    return namespace.get(name)


def signature_problem(control: object, learner: object) -> str | None:
    """None when `learner` can be called the way the tutor calls `control`."""
    expected = inspect.signature(control)  # type: ignore[arg-type]
    try:
        actual = inspect.signature(learner)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return f"({', '.join(expected.parameters)})"
    shape = [p.kind for p in expected.parameters.values()]
    if [p.kind for p in actual.parameters.values()] != shape:
        return f"({', '.join(expected.parameters)})"
    return None


def invalid(reason: InvalidReason, detail: str, line: int | None = None) -> ChildReport:
    return ChildReport(outcome="invalid", invalid_reason=reason, detail=detail, line=line)


def learner_line(error: BaseException) -> int | None:
    """The last line of the learner's block on the traceback, if it is there."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).name == BLOCK_FILENAME]
    return frames[-1].lineno if frames else None
