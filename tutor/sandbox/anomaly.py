"""`python -m tutor.sandbox.anomaly SCRIPT [ARGS...]`: run a learner's own script as
`python SCRIPT ARGS` would, with autograd's anomaly detection switched on first, so a
failing backward also prints the traceback of the forward call that made its tensor."""

from __future__ import annotations

import os
import runpy
import sys


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit("usage: python -m tutor.sandbox.anomaly SCRIPT [ARGS...]")
    script = sys.argv[1]
    sys.argv = sys.argv[1:]
    sys.path[0] = os.path.dirname(os.path.abspath(script))  # as `python SCRIPT` sets it
    import torch  # after sys.path is the script's, as it would be for the script itself

    torch.autograd.set_detect_anomaly(True)
    runpy.run_path(os.path.abspath(script), run_name="__main__")  # frames name it as python does


if __name__ == "__main__":
    main()
