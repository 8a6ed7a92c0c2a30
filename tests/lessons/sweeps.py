"""`validate --json` over the whole course, as the claim sweeps run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def validated(capability: str, *seeds: str) -> dict:
    """`minigpt-tutor validate --json` over the course with 1 and 2 threads, on `capability`'s kernels."""
    env = {key: value for key, value in os.environ.items() if key != "ATEN_CPU_CAPABILITY"}
    if capability != "native":
        env["ATEN_CPU_CAPABILITY"] = capability
    ran = subprocess.run([sys.executable, "-m", "tutor", "validate", "--json", *seeds, "--threads", "1,2"],
                         capture_output=True, text=True, env=env)
    report = json.loads(ran.stdout)
    assert ran.returncode == (0 if report["ok"] else 1)
    assert (report["capability"], report["threads"]) == (capability, [1, 2])
    return report
