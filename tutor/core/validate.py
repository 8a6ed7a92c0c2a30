"""Linting the course like rustlings' `dev check`: every claim a lesson makes, run.

A lesson claims that its starter fails with the declared symptom, that its reference
fix (and every other listed correct form) passes, and that each wrong fix fails, with
its own declared symptom when it has one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from tutor.core.i18n import available_languages
from tutor.core.lessons import Lesson, Text, WrongFix
from tutor.core.symptoms import mismatches, recognised_wrong_fix
from tutor.core.results import RunResult, Status
from tutor.core.runner import RunLimits, run_block
from tutor.core.topics import TOPICS_FILE, Topic
from tutor.core.warm import RunnerSession

Runner = Callable[[Lesson, str], RunResult]

# A lint of the course, not a learner's run: a busy machine must not turn a slow run
# into a false "timeout"; a block that really hangs is still stopped.
VALIDATE_LIMITS = RunLimits(timeout_s=120.0)


def course_runner(session: RunnerSession) -> Runner:
    """Runs for a course check: forked from `session`'s warm runner, under VALIDATE_LIMITS."""
    return lambda lesson, block: run_block(lesson, block, limits=VALIDATE_LIMITS, session=session)


def validate_course(lessons: list[Lesson], seeds: Sequence[int | None] = (None,),
                    threads: Sequence[int] = (1,)) -> list[Claim]:
    """`minigpt-tutor validate`: every run forked from one warm runner."""
    with RunnerSession(optimizers=True) as session:
        return validate(lessons, course_runner(session), seeds=seeds, threads=threads)


@dataclass(frozen=True)
class Claim:
    lesson: str
    name: str  # "starter", "fix", "also_correct[0]", "wrong_fixes[1]"
    ok: bool
    detail: str  # what the run said, and what was wrong with it
    seed: int | None = None  # the lesson's own seed when None
    threads: int = 1
    # The largest difference from the control of a tensor the run's verdict compared, as a
    # share of that tensor's scale (None when nothing was compared): how far inside, or
    # outside, the lesson's tolerance a correct form or a break lands.
    largest_share: float | None = None
    subject: str | None = None  # what the run compared: a `tutor.core.job.Subject`


def varied(lesson: Lesson, seed: int | None, threads: int) -> Lesson:
    """The lesson with its check run at another seed and thread count: float results
    change with both, and a claim must hold for all of them."""
    settings = {**lesson.check.settings, "threads": threads, **({} if seed is None else {"seed": seed})}
    return lesson.model_copy(update={"check": lesson.check.model_copy(update={"settings": settings})})


_FENCED = re.compile(r"```.*?```", re.DOTALL)
_INLINE = re.compile(r"`[^`\n]+`")
_SHAPE = re.compile(r"\[\s*\d+(?:\s*,\s*\d+)*\s*\]")
_LIST_ITEM = re.compile(r"^\s*(?:\d+\.|-)\s", re.MULTILINE)


def invariants(text: str) -> dict[str, Counter[str]]:
    """What a translation must keep as it is: code, torch's messages, shapes, list structure."""
    fenced = _FENCED.findall(text)
    rest = _FENCED.sub("", text)
    return {
        "code blocks": Counter(fenced),
        "inline code": Counter(set(_INLINE.findall(rest))),
        "shapes": Counter(set(_SHAPE.findall(rest))),
        "list items": Counter({"count": len(_LIST_ITEM.findall(rest))}),
    }


def texts_of(lesson: Lesson) -> Iterator[tuple[str, Text]]:
    yield "title", lesson.title
    for name, text in lesson.story:
        yield f"story.{name}", text
    for name, text in lesson.hints:
        yield f"hints.{name}", text
    for index, wrong in enumerate(lesson.wrong_fixes):
        yield f"wrong_fixes[{index}].why", wrong.why


def topic_texts(topics: list[Topic]) -> Iterator[tuple[str, Text]]:
    for topic in topics:
        yield f"{topic.id}.title", topic.title
        yield f"{topic.id}.teaches", topic.teaches


def translation_problems(lesson: Lesson, languages: list[str]) -> list[str]:
    """Missing languages, and translations that disagree with English on structure."""
    return text_problems(texts_of(lesson), languages)


def text_problems(texts: Iterable[tuple[str, Text]], languages: list[str]) -> list[str]:
    """Each (field, text) checked for every language, and against the English text's structure."""
    problems = []
    for field, text in texts:
        english = invariants(text.root["en"])
        for language in languages:
            if language not in text.root:
                problems.append(f"{field}: no {language!r} text")
                continue
            other = invariants(text.root[language])
            problems += [f"{field}: {language!r} differs from 'en' in its {part}" for part in english if english[part] != other[part]]
    return problems


def topics_claim(topics: list[Topic]) -> Claim:
    """The course map's texts, in every language of the catalogue, as `validate` checks a lesson's."""
    languages = available_languages()
    problems = text_problems(topic_texts(topics), languages)
    return Claim(TOPICS_FILE, "translations", not problems,
                 "; ".join(problems) if problems else f"{len(topics)} topics written in {', '.join(languages)}")


def claims_of(lesson: Lesson) -> Iterator[tuple[str, str, Callable[[RunResult], list[str]]]]:
    """(name, block, judge) for every claim; a judge returns what is wrong."""
    def starter(r: RunResult) -> list[str]:
        known = recognised_wrong_fix(lesson, r)
        return mismatches(r, lesson.expect) + ([] if known is None else ["the starter is taken for a wrong fix"])

    yield "starter", lesson.code.starter, starter
    for index, block in enumerate([lesson.code.fix, *lesson.code.also_correct]):
        name = "fix" if index == 0 else f"also_correct[{index - 1}]"
        yield name, block, lambda r: [] if r.passed else [f"{r.status.value}: {r.message}"]
    for index, wrong in enumerate(lesson.wrong_fixes):

        def judge(r: RunResult, wrong: WrongFix = wrong) -> list[str]:
            if r.status is not Status.FAILED:
                return [f"a wrong fix must fail, but it is {r.status.value}: {r.message}"]
            if wrong.expect is None:
                return []
            problems = mismatches(r, wrong.expect)
            # The learner who writes it is told why a wrong fix is wrong (this one's, or that of one
            # declared with the same symptom or a more specific one), unless it shows the starter's symptom.
            distinct = wrong.expect != lesson.expect and mismatches(r, lesson.expect)
            if not problems and distinct and recognised_wrong_fix(lesson, r) is None:
                problems.append("its run is not recognised as a wrong fix")
            return problems

        yield f"wrong_fixes[{index}]", wrong.code, judge


def validate(lessons: list[Lesson], run: Runner, workers: int = 2, seeds: Sequence[int | None] = (None,),
             threads: Sequence[int] = (1,)) -> list[Claim]:
    """Check every lesson's translations, then run every claim at every seed and thread
    count; runs are subprocesses, so threads suffice."""
    languages = available_languages()
    text_claims = []
    for lesson in lessons:
        problems = translation_problems(lesson, languages)
        detail = "; ".join(problems) if problems else f"written in {', '.join(languages)}"
        text_claims.append(Claim(lesson.id, "translations", not problems, detail))
    jobs = [(varied(lesson, seed, count), seed, count, name, block, judge) for lesson in lessons
            for seed in seeds for count in threads for name, block, judge in claims_of(lesson)]

    def one(job: tuple[Lesson, int | None, int, str, str, Callable[[RunResult], list[str]]]) -> Claim:
        lesson, seed, count, name, block, judge = job
        result = run(lesson, block)
        problems = judge(result)
        detail = "; ".join(problems) if problems else f"{result.status.value}: {result.message}"
        return Claim(lesson.id, name, not problems, detail, seed, count, largest_share(result), result.subject)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return text_claims + list(pool.map(one, jobs))


def largest_share(result: RunResult) -> float | None:
    shares = [c.rel_diff for c in result.gradients if c.rel_diff is not None]
    return max(shares, default=None)
