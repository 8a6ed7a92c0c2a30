"""`python -m tutor.sandbox SCRATCH_DIR`: supervise one run, in a fresh interpreter (the cold runner)."""

from __future__ import annotations

import sys
from pathlib import Path

from tutor.sandbox.supervisor import supervise


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tutor.sandbox SCRATCH_DIR")
    supervise(Path(sys.argv[1]))
