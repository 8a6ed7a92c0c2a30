"""A verdict kept as its wording says the same as a verdict judged in that language."""

from __future__ import annotations

import pytest

from tests.unit.torch_errors import capture
from tutor.core.i18n import available_languages
from array import array

from tutor.core.job import RawResult
from tutor.core.rawresult import Observed, Values
from tutor.core.results import Status
from tutor.core.verdict import judge, message_in, unfinished


def values(*numbers: float) -> Values:
    return Values("float32", (len(numbers),), memoryview(array("f", numbers)))


CONTROL = Observed(RawResult(outcome="observed"), {"blocks.0.ln1.weight": values(1.0), "blocks.0.ln2.weight": values(2.0)})
REPORTS = {
    "invalid": (Observed(RawResult(outcome="invalid", invalid_reason="syntax", detail="SyntaxError: invalid syntax",
                                   line=2)), ""),
    "raised": (Observed(RawResult(outcome="raised", phase="backward", exception="RuntimeError")), "inplace_residual"),
    "raised_unknown": (Observed(RawResult(outcome="raised", phase="forward", exception="ZeroDivisionError")),
                       "python_error"),
    "passed": (Observed(RawResult(outcome="observed"), dict(CONTROL.tensors)), ""),
    "missing": (Observed(RawResult(outcome="observed"), {"blocks.0.ln1.weight": values(1.0)}), ""),
}


@pytest.mark.parametrize("name", sorted(REPORTS))
@pytest.mark.parametrize("language", available_languages())
def test_a_judged_verdict_can_be_said_again_in_any_language(name: str, language: str) -> None:
    report, stderr_name = REPORTS[name]
    stderr = capture()[stderr_name] if stderr_name else ""
    in_english = judge("lesson", report, CONTROL, stderr, 1e-6, "en")
    assert message_in(in_english, language) == judge("lesson", report, CONTROL, stderr, 1e-6, language).message
    assert message_in(in_english, "en") == in_english.message


@pytest.mark.parametrize("language", available_languages())
def test_unfinished_runs_too(language: str) -> None:
    for options in ({"status": Status.TIMEOUT, "seconds": 3.0}, {"status": Status.CRASHED, "returncode": -11},
                    {"status": Status.CRASHED, "returncode": 3}):
        kept = unfinished("lesson", language="en", **options)
        assert message_in(kept, language) == unfinished("lesson", language=language, **options).message
