"""The result panel: idle, running, cancelled, or a run's verdict with its diagnosis, the
scenario's evidence against the control's and the tensors that differ from the control."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widget import Widget
from textual.widgets import Collapsible, LoadingIndicator, Markdown, Static

from tutor.core.i18n import tr
from tutor.core.lessons import Lesson
from tutor.core.results import RunResult
from tutor.core.symptoms import recognised_wrong_fix
from tutor.present.diagnosis import diagnosis_card, gradients_table, known_wrong_fix, runner_note, verdict_text
from tutor.present.evidence import evidence_table

# Raw output is folded and can reach the runner's cap; the tail is what explains a failure.
_RAW_LINES_SHOWN = 200


class Phase(Enum):
    IDLE = "idle"
    RUNNING = "running"
    CANCELLED = "cancelled"
    BROKEN = "broken"  # the tutor could not run the block at all
    DONE = "done"


@dataclass(frozen=True)
class ResultView:
    """Everything the panel shows, so it can be drawn again in another language."""

    phase: Phase
    lesson: Lesson
    anomaly: bool = False
    result: RunResult | None = None
    next_lesson: Lesson | None = None
    detail: str = ""


class ResultPanel(VerticalScroll, can_focus=True):
    """Shows one `ResultView`; the lesson screen decides which."""

    ALLOW_MAXIMIZE = True  # `z` zooms it on a small terminal

    def __init__(self, **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.view: ResultView | None = None

    def show(self, view: ResultView, language: str) -> None:
        self.view = view
        self.relabel(language)

    def relabel(self, language: str) -> None:
        if self.view is None:
            return
        self.border_title = tr("ui.result.title", language)
        self.remove_children()
        self.mount_all(list(_children(self.view, language)))
        self.scroll_home(animate=False)


def _children(view: ResultView, language: str) -> list[Widget]:
    if view.phase is Phase.IDLE:
        return [Static(Text(tr("ui.result.idle", language)), classes="hint-line")]
    if view.phase is Phase.RUNNING:
        mode = tr("ui.anomaly.on" if view.anomaly else "ui.anomaly.off", language)
        return [Static(Text(tr("ui.result.running", language, mode=mode)), classes="running"), LoadingIndicator()]
    if view.phase is Phase.CANCELLED:
        return [Static(Text(tr("ui.result.cancelled", language)), classes="verdict -cancelled")]
    if view.phase is Phase.BROKEN:
        return [Static(Text(tr("ui.result.broken", language, detail=view.detail)), classes="verdict -failed")]
    assert view.result is not None
    return _verdict(view, view.result, language)


def _verdict(view: ResultView, result: RunResult, language: str) -> list[Widget]:
    status = tr(f"status.{result.status.value}", language)
    mark = "✓" if result.passed else "✗"
    message = verdict_text(result, language)
    headline = Text.assemble((f"{mark} {status}: ", "bold"), message)
    widgets: list[Widget] = [Static(headline, classes=f"verdict {'-passed' if result.passed else '-failed'}")]
    note = runner_note(result, language)
    if note:
        widgets.append(Static(Text(note), classes="hint-line"))
    known = recognised_wrong_fix(view.lesson, result)
    if known is not None:
        widgets.append(Static(known_wrong_fix(known.why.get(language), language), classes="known-wrong-fix"))
    if result.diagnosis is not None:
        widgets.append(Static(diagnosis_card(result.diagnosis, language, message), classes="card"))
    for table in (evidence_table(result, language), gradients_table(result, language)):  # the story's clues first
        if table is not None:
            widgets.append(Static(table, classes="card"))
    if result.passed:
        widgets.append(Markdown(_explanation(view.lesson, language), classes="explanation"))
        offer = (tr("ui.solved.next", language, title=view.next_lesson.title.get(language))
                 if view.next_lesson else tr("ui.solved.last", language))
        widgets.append(Static(Text(offer), classes="offer"))
    raw = _raw_output(result)
    if raw:
        # torch's own messages carry terminal styles (bold); a block may print any escape
        # sequence. Styles are shown as styles, and every other sequence is dropped.
        shown = Text.from_ansi(raw)
        widgets.append(Collapsible(Static(shown, classes="raw"), title=tr("ui.result.raw", language), collapsed=True))
    return widgets


def _explanation(lesson: Lesson, language: str) -> str:
    story = lesson.story
    sections = (("story.mechanism", story.mechanism), ("story.fix", story.fix), ("story.safe", story.safe))
    return "\n\n".join(f"### {tr(key, language)}\n\n{text.get(language).strip()}" for key, text in sections)


def _raw_output(result: RunResult) -> str:
    parts = [text.rstrip() for text in (result.stdout, result.stderr) if text.strip()]
    lines = "\n".join(parts).splitlines()
    return "\n".join(lines[-_RAW_LINES_SHOWN:])
