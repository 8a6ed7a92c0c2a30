"""The sandboxed worker: run the lesson's scenario, as the control (minigpt's own function)
or with the learner's block in place of the target, and send back what it saw.

The worker judges nothing: it writes its raw result to the pipe the tutor reads, and
the tutor compares it with a control from another run. A learner's block is compiled
before torch is imported, so a syntax error costs no torch work.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path

from tutor.core.job import BLOCK_FILENAME, PROGRESS_FILENAME, Job, RawResult
from tutor.core.rawresult import encode
from tutor.sandbox.block import BlockInvalid, compile_block


def run_in(job: Job, scratch: Path, result_fd: int) -> int:
    limit_resources(job.memory_mb)
    send(result_fd, observe(job, scratch / BLOCK_FILENAME))
    return 0


def limit_resources(memory_mb: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_mb * 2**20, memory_mb * 2**20))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def observe(job: Job, block_path: Path) -> bytes:
    code = None
    if job.role == "learner":
        try:
            code = compile_block(block_path)
        except BlockInvalid as problem:
            return encode(RawResult(outcome="invalid", invalid_reason=problem.reason, detail=problem.detail[:2000],
                                    line=problem.line), [])
    from tutor.sandbox import scenarios  # torch arrives here, once the block compiles

    return scenarios.observe(job, code, block_path.parent / PROGRESS_FILENAME)


def send(descriptor: int, result: bytes) -> None:
    with memoryview(result) as left:
        while left:
            left = left[os.write(descriptor, left):]
    os.close(descriptor)
