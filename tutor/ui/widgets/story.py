"""The lesson's story: its title, the symptom the learner will see, and what to look for."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Markdown

from tutor.core.i18n import tr
from tutor.core.lessons import Lesson


class StoryPanel(VerticalScroll, can_focus=True):
    ALLOW_MAXIMIZE = True  # `z` zooms it on a small terminal

    def __init__(self, lesson: Lesson, language: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lesson = lesson
        self.language = language

    def compose(self) -> ComposeResult:
        yield Markdown(story_markdown(self.lesson, self.language))  # drawn with the first frame, never empty

    def on_mount(self) -> None:
        self.border_title = tr("ui.lesson.story", self.language)

    def show(self, language: str) -> None:
        if language != self.language:
            self.language = language
            self.border_title = tr("ui.lesson.story", language)
            self.query_one(Markdown).update(story_markdown(self.lesson, language))


def story_markdown(lesson: Lesson, language: str) -> str:
    story = lesson.story
    return (f"**{lesson.title.get(language)}**\n\n{story.symptom.get(language).strip()}\n\n"
            f"### {tr('story.ladder', language)}\n\n{story.ladder.get(language).strip()}")
