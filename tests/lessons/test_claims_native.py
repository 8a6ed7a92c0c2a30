"""Every claim of the course holds on this CPU's own kernels with 1 and 2 threads, at each
lesson's own seed (the portable kernels' sweep over seeds is `test_claims_anywhere.py`)."""

from __future__ import annotations

import pytest

from sweeps import validated


@pytest.mark.timeout(1800)
def test_validate_passes_on_this_cpus_kernels_with_1_and_2_threads() -> None:
    report = validated("native")
    failed = [f"{c['lesson']} {c['name']} ({c['threads']} threads): {c['detail']}" for c in report["claims"] if not c["ok"]]
    assert not failed, "\n".join(failed)
    assert {c["threads"] for c in report["claims"] if c["name"] == "fix"} == {1, 2}
