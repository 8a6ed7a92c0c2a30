"""Explain an error: the learner pastes a traceback from their own code, reads the
explanation, and opens a lesson that teaches that kind of error."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical, VerticalScroll
from textual.widgets import OptionList, Static, TextArea
from textual.widgets.option_list import Option

from tutor.core.explain import Explanation, explain_error
from tutor.core.i18n import tr
from tutor.present.explain import explanation_view
from tutor.ui.keys import verb
from tutor.ui.messages import LessonChosen
from tutor.ui.screens.base import TutorScreen
from tutor.ui.widgets.key_bar import KeyBar
from tutor.ui.widgets.status import StatusLine


class ExplainScreen(TutorScreen):
    BINDINGS: list[BindingType] = [
        verb("ctrl+r", "explain", priority=True),  # works while typing in the paste box
        verb("escape", "back_to_course"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.explanation: Explanation | None = None

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        with Vertical(id="explain"):
            yield TextArea(id="explain-input", soft_wrap=True, show_line_numbers=False)
            with VerticalScroll(id="explain-output"):
                yield Static(id="explain-text")
                yield OptionList(id="explain-lessons")
        yield KeyBar()

    def on_mount(self) -> None:
        self.apply_language()
        self.query_one(TextArea).focus()

    def apply_language(self) -> None:
        super().apply_language()
        language = self.language
        self.query_one(StatusLine).show(tr("ui.explain.title", language), self.tutor.save.learner, language)
        self.query_one(TextArea).border_title = tr("ui.explain.paste", language)
        self._show()

    def action_explain(self) -> None:
        self.explanation = explain_error(self.query_one(TextArea).text, self.tutor.course)
        self._show()
        lessons = self.query_one(OptionList)
        if lessons.option_count:
            lessons.focus()
            lessons.highlighted = 0

    def _show(self) -> None:
        language, explanation = self.language, self.explanation
        text = self.query_one("#explain-text", Static)
        lessons = self.query_one(OptionList)
        lessons.clear_options()
        if explanation is None:
            text.update(tr("ui.explain.empty", language))
        else:
            text.update(explanation_view(explanation, language))
            lessons.add_options(Option(tr("ui.explain.open_lesson", language, title=lesson.title.get(language)),
                                       id=lesson.id) for lesson in explanation.lessons)
        lessons.display = lessons.option_count > 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.app.pop_screen()  # the lesson opens over the course, as from the course
            self.app.post_message(LessonChosen(event.option.id))

    def action_back_to_course(self) -> None:
        self.app.pop_screen()
