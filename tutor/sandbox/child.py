"""The sandboxed child of a check: compile the learner's block, then run the lesson's
scenario twice (control, then the learner's block in place of the target) and compare."""

from __future__ import annotations

import os
import resource
from pathlib import Path

from tutor.core.job import BLOCK_FILENAME, JOB_FILENAME, REPORT_FILENAME, ChildReport, Job
from tutor.sandbox.block import BlockInvalid, compile_block


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
    try:
        code = compile_block(block_path)
    except BlockInvalid as problem:
        return ChildReport(outcome="invalid", invalid_reason=problem.reason, detail=problem.detail, line=problem.line)
    from tutor.sandbox import scenarios  # torch arrives here, once the block compiles

    return scenarios.run_against_control(job, code)
