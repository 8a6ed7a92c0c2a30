"""The lesson's story: its title, the symptom the learner will see, and what to look for."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown

from tutor.core.i18n import tr
from tutor.core.lessons import Lesson


class StoryPanel(VerticalScroll, can_focus=True):
    ALLOW_MAXIMIZE = True  # `z` zooms it on a small terminal

    def compose(self) -> ComposeResult:
        yield Markdown()

    def show(self, lesson: Lesson, language: str) -> None:
        story = lesson.story
        self.border_title = tr("ui.lesson.story", language)
        self.query_one(Markdown).update(
            f"**{lesson.title.get(language)}**\n\n{story.symptom.get(language).strip()}\n\n"
            f"### {tr('story.ladder', language)}\n\n{story.ladder.get(language).strip()}"
        )
