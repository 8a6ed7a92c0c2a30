"""The hint cascade: revealed rungs stay visible; a note when the learner has moved to another error."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Markdown, Static

from tutor.core.i18n import tr
from tutor.core.lessons import Lesson
from tutor.core.results import RunResult
from tutor.core.symptoms import recognised_wrong_fix
from tutor.present.diagnosis import verdict_text
from tutor.present.hints import RUNG_NAMES, hint_heading



def moved_on(lesson: Lesson, latest: RunResult | None) -> bool:
    """Whether the latest failing run shows another error than the one the hints are about.

    A run without a diagnosis has no kind: for a silent lesson, that is its own symptom.
    """
    if latest is None or latest.passed:
        return False
    expected = lesson.expect.diagnosis.kind if lesson.expect.diagnosis else None
    found = latest.diagnosis.kind if latest.diagnosis else None
    return found != expected


class HintPanel(VerticalScroll, can_focus=True):
    ALLOW_MAXIMIZE = True  # `z` zooms it on a small terminal

    def show(self, lesson: Lesson, rung: int, latest: RunResult | None, language: str) -> None:
        """Show rungs 1..`rung` of `lesson`, and whether `latest` moved away from its error."""
        rungs = lesson.hints.rungs()
        self.border_title = hint_heading(rung, language) if rung else tr("ui.hints.title", language)
        children: list[Widget] = []
        known = None if latest is None else recognised_wrong_fix(lesson, latest)
        if known is not None:  # the result pane says why; the hints still lead to the fix
            children.append(Static(Text(tr("ui.hints.known_wrong_fix", language)), classes="moved-on"))
        elif latest is not None and moved_on(lesson, latest):
            what = tr(f"kind.{latest.diagnosis.kind.value}", language) if latest.diagnosis else verdict_text(latest, language)
            children.append(Static(Text(tr("ui.hints.moved_on", language, what=what)), classes="moved-on"))
        for number, text in enumerate(rungs[:rung], start=1):
            label = tr(f"ui.hints.{RUNG_NAMES[number - 1]}", language)
            children.append(Markdown(f"**{number} · {label}** — {text.get(language)}", classes="rung"))
        if rung < len(rungs):
            more = tr("ui.hints.more", language, left=len(rungs) - rung) if rung else tr("ui.hints.none_yet", language)
            children.append(Static(Text(more), classes="hint-line"))
        self.remove_children()
        self.mount_all(children)
        self.scroll_end(animate=False)
