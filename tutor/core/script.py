"""Run a learner's own script as `python SCRIPT ARGS` would, and keep its standard error.

The script runs in a child process with this interpreter, in the current folder, with the
same standard input and output; its standard error is passed on as it comes and kept (its
tail) to be explained afterwards. The tutor's process never imports torch: anomaly mode is
switched on by a small bootstrap in the child (`tutor.sandbox.anomaly`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from typing import BinaryIO

_KEPT_BYTES = 1_000_000  # the traceback is at the end of stderr
_CHUNK = 65536


@dataclass(frozen=True)
class ScriptRun:
    returncode: int
    stderr: str  # the tail of what the script wrote to stderr


def script_command(script: str, args: list[str], anomaly: bool = False) -> list[str]:
    if anomaly:
        return [sys.executable, "-m", "tutor.sandbox.anomaly", script, *args]
    return [sys.executable, script, *args]


def run_script(script: str, args: list[str], anomaly: bool = False, echo: BinaryIO | None = None) -> ScriptRun:
    """Run it to the end; Ctrl+C reaches the script (same process group) and ends it."""
    echo = echo or sys.stderr.buffer
    process = subprocess.Popen(script_command(script, args, anomaly), stderr=subprocess.PIPE)
    assert process.stderr is not None
    kept = bytearray()
    try:
        while chunk := os.read(process.stderr.fileno(), _CHUNK):
            echo.write(chunk)
            echo.flush()
            kept += chunk
            del kept[:-_KEPT_BYTES]
        returncode = process.wait()
    except KeyboardInterrupt:
        returncode = process.wait()
    finally:
        process.stderr.close()
    return ScriptRun(returncode, kept.decode("utf-8", errors="replace"))
