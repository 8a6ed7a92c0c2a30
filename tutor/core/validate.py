"""Linting the course like rustlings' `dev check`: every claim a lesson makes, run.

A lesson claims that its starter fails with the declared symptom, that its reference
fix (and every other listed correct form) passes, and that each wrong fix fails, with
its own declared symptom when it has one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from tutor.core.lessons import Expectation, Lesson
from tutor.core.results import RunResult, Status

Runner = Callable[[Lesson, str], RunResult]


@dataclass(frozen=True)
class Claim:
    lesson: str
    name: str  # "starter", "fix", "also_correct[0]", "wrong_fixes[1]"
    ok: bool
    detail: str  # what the run said, and what was wrong with it


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
        if result.evidence.get(key) != wanted:
            problems.append(f"evidence {key} is {result.evidence.get(key)!r}, expected {wanted!r}")
    return problems


def claims_of(lesson: Lesson) -> Iterator[tuple[str, str, Callable[[RunResult], list[str]]]]:
    """(name, block, judge) for every claim; a judge returns what is wrong."""
    yield "starter", lesson.code.starter, lambda r: mismatches(r, lesson.expect)
    for index, block in enumerate([lesson.code.fix, *lesson.code.also_correct]):
        name = "fix" if index == 0 else f"also_correct[{index - 1}]"
        yield name, block, lambda r: [] if r.passed else [f"{r.status.value}: {r.message}"]
    for index, wrong in enumerate(lesson.wrong_fixes):
        expect = wrong.expect

        def judge(r: RunResult, expect: Expectation | None = expect) -> list[str]:
            if r.status is not Status.FAILED:
                return [f"a wrong fix must fail, but it is {r.status.value}: {r.message}"]
            return mismatches(r, expect) if expect else []

        yield f"wrong_fixes[{index}]", wrong.code, judge


def validate(lessons: list[Lesson], run: Runner, workers: int = 2) -> list[Claim]:
    """Run every claim of every lesson; the runs are subprocesses, so threads suffice."""
    jobs = [(lesson, name, block, judge) for lesson in lessons for name, block, judge in claims_of(lesson)]

    def one(job: tuple[Lesson, str, str, Callable[[RunResult], list[str]]]) -> Claim:
        lesson, name, block, judge = job
        result = run(lesson, block)
        problems = judge(result)
        detail = "; ".join(problems) if problems else f"{result.status.value}: {result.message}"
        return Claim(lesson.id, name, not problems, detail)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, jobs))
