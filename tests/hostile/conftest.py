"""What the hostile tests share: one warm runner per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hostile_blocks import SLOW_IMPORT_S

from tutor.core.warm import RunnerSession


@pytest.fixture(scope="module")
def session() -> Iterator[RunnerSession]:
    with RunnerSession(ready_timeout_s=SLOW_IMPORT_S) as warm:
        assert warm.wait_ready()
        yield warm
