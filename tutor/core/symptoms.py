"""Reading a run against a lesson's declared symptoms: the starter's, and its wrong fixes'.

`validate` proves each declaration; the tutor and `check` use the same reading to tell a
learner that their block behaves like a wrong fix the lesson lists, and why it is wrong.
"""

from __future__ import annotations

from tutor.core.lessons import Bound, Expectation, Lesson, WrongFix
from tutor.core.results import RunResult


def mismatches(result: RunResult, expect: Expectation) -> list[str]:
    """How `result` departs from what the lesson declares; empty when it matches."""
    problems = []
    if result.status.value != expect.status.value:
        problems.append(f"status is {result.status.value}, expected {expect.status.value}")
    if expect.diagnosis is not None:
        found = result.diagnosis.model_dump() if result.diagnosis else {}
        for field, wanted in expect.diagnosis.model_dump(exclude_none=True).items():
            got = found.get(field)
            if got != wanted:
                problems.append(f"diagnosis.{field} is {got!r}, expected {wanted!r}")
    missing = {c.name for c in result.gradients if c.missing}
    differ = {c.name for c in result.gradients if not c.matches and not c.missing}
    problems += [f"{name} is not missing" for name in expect.missing if name not in missing]
    problems += [f"{name} does not differ" for name in expect.differ if name not in differ]
    for key, wanted in expect.evidence.items():
        found = result.evidence.get(key)
        if isinstance(wanted, Bound):
            problem = wanted.problem(found, result.evidence.get(f"control_{key}"))
            if problem:
                problems.append(f"evidence {key} {problem}")
        elif found != wanted:
            problems.append(f"evidence {key} is {found!r}, expected {wanted!r}")
    return problems


def recognised_wrong_fix(lesson: Lesson, result: RunResult) -> WrongFix | None:
    """The listed wrong fix whose declared symptom this run shows, the most specific first.

    A run that shows the starter's own symptom is the starter's, and a wrong fix declared
    with exactly the starter's symptom cannot be told apart from it: neither is named."""
    if result.passed or not mismatches(result, lesson.expect):
        return None
    shown = [wrong for wrong in lesson.wrong_fixes
             if wrong.expect is not None and wrong.expect != lesson.expect and not mismatches(result, wrong.expect)]
    return max(shown, key=lambda wrong: _specificity(wrong.expect), default=None)


def _specificity(expect: Expectation | None) -> int:
    """How many facts a declared symptom pins down: the more, the surer a match."""
    if expect is None:
        return 0
    fields = expect.diagnosis.model_dump(exclude_none=True) if expect.diagnosis else {}
    return len(fields) + len(expect.missing) + len(expect.differ) + len(expect.evidence)
