"""The core hands out verdicts as wordings; a front end says one in any language, and in
English it is the result's own message."""

from __future__ import annotations

from array import array

import pytest

from tests.unit.torch_errors import capture
from tutor.core.i18n import available_languages
from tutor.core.job import RawResult
from tutor.core.rawresult import Observed, Values
from tutor.core.results import Status
from tutor.core.verdict import judge, unfinished
from tutor.present.diagnosis import verdict_text


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
def test_a_verdict_is_said_in_every_language_from_its_wording(name: str) -> None:
    report, stderr_name = REPORTS[name]
    result = judge("lesson", report, CONTROL, capture()[stderr_name] if stderr_name else "", 1e-6)
    assert result.wording is not None
    assert verdict_text(result, "en") == result.message
    said = {language: verdict_text(result, language) for language in available_languages()}
    assert len(set(said.values())) == len(said), said  # each language says it its own way


@pytest.mark.parametrize("language", available_languages())
def test_unfinished_runs_too(language: str) -> None:
    for options in ({"status": Status.TIMEOUT, "seconds": 3.0}, {"status": Status.CRASHED, "returncode": -11},
                    {"status": Status.CRASHED, "returncode": 3}):
        kept = unfinished("lesson", **options)
        assert verdict_text(kept, "en") == kept.message
        assert verdict_text(kept, language) == verdict_text(kept.model_copy(), language)
        assert ("SIGSEGV" in verdict_text(kept, language)) == (options.get("returncode") == -11)
