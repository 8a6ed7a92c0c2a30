"""A lesson's hint cascade as text: the rungs revealed so far, newest last."""

from __future__ import annotations

from rich.text import Text

from tutor.core.i18n import tr
from tutor.core.lessons import Lesson

RUNG_NAMES = ("mild", "medium", "direct")


def hint_heading(rung: int, language: str) -> str:
    """"Hint 2 of 3 (medium)"."""
    return tr("ui.hints.heading", language, rung=rung, total=len(RUNG_NAMES),
              name=tr(f"ui.hints.{RUNG_NAMES[rung - 1]}", language))


def hint_lines(lesson: Lesson, rung: int, language: str) -> Text:
    """Rungs 1..`rung` of the lesson's hints, one paragraph each under its heading."""
    text = Text()
    for number, hint in enumerate(lesson.hints.rungs()[:rung], start=1):
        text.append(f"{hint_heading(number, language)}\n", style="bold")
        text.append(f"{hint.get(language).strip()}\n\n")
    text.rstrip()
    return text
