"""A learner's own error, explained: what went wrong, torch's fields, their own line, what
to check first and the lessons that teach it."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from tutor.core.diagnose import Frame
from tutor.core.explain import Explanation
from tutor.core.i18n import tr
from tutor.present.diagnosis import diagnosis_card


def open_command(lesson_id: str) -> str:
    return f"minigpt-tutor --lesson {lesson_id}"


def explanation_view(explanation: Explanation, language: str) -> RenderableType:
    if not explanation.found:
        return Text(tr("explain.nothing", language))
    kind = explanation.kind.value
    parts: list[RenderableType] = []

    def section(heading: str, *body: RenderableType) -> None:
        if parts:
            parts.append(Text(""))
        parts.append(Text(tr(f"explain.heading.{heading}", language), style="bold underline"))
        parts.extend(body)

    section("what", Text(tr(f"kind.{kind}", language), style="bold"), Text(tr(f"explain.what.{kind}", language)))
    section("fields", diagnosis_card(explanation.reading.diagnosis, language))
    section("frame", *_frame_lines(explanation.frame, explanation.frame_code, language))
    if explanation.forward_frame is not None:
        section("forward", *_frame_lines(explanation.forward_frame, explanation.forward_code, language))
    section("check", Text(tr(f"explain.check.{kind}", language).strip()))
    lessons: list[RenderableType] = [
        Text.assemble((lesson.id, "bold cyan"), "  ", lesson.title.get(language)) for lesson in explanation.lessons
    ]
    if explanation.lessons:
        lessons.append(Text(tr("explain.open", language, command=open_command(explanation.lessons[0].id)),
                            style="green"))
    section("lessons", *(lessons or [Text(tr("explain.no_lessons", language))]))
    return Panel(Group(*parts), title=tr("explain.title", language), title_align="left", border_style="yellow")


def forward_view(explanation: Explanation, language: str) -> RenderableType:
    """After a rerun in anomaly mode: the node whose backward failed and the forward line that made it."""
    lines: list[RenderableType] = [Text(tr("explain.heading.forward", language), style="bold underline")]
    if failed := explanation.reading.diagnosis.failed_backward:
        lines.append(Text.assemble((tr("label.failed_backward", language), "bold"), f"  {failed}"))
    lines += _frame_lines(explanation.forward_frame, explanation.forward_code, language)
    return Panel(Group(*lines), border_style="yellow")


def _frame_lines(frame: Frame | None, code: str | None, language: str) -> list[RenderableType]:
    if frame is None:
        return [Text(tr("explain.no_frame", language))]
    where = tr("explain.frame", language, path=frame.path, line=frame.line, function=frame.function or "?")
    return [Text(where, style="bold")] + ([Text(f"    {code}")] if code else [])
