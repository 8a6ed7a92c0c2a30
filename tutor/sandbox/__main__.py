"""`python -m tutor.sandbox SCRATCH_DIR`: run one job in this (sandboxed) process."""

from __future__ import annotations

import sys
from pathlib import Path

from tutor.sandbox.child import run_in


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tutor.sandbox SCRATCH_DIR")
    sys.exit(run_in(Path(sys.argv[1])))
