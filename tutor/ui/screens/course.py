"""The course screen: the learner, their progress and the lesson to take next, the course map, and
lessons that failed to load."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import OptionList, ProgressBar, Static

from tutor.core.i18n import tr
from tutor.core.place import place_in
from tutor.present.progress import next_step
from tutor.ui.keys import verb
from tutor.ui.messages import LessonChosen
from tutor.ui.screens.base import TutorScreen
from tutor.ui.screens.explain import ExplainScreen
from tutor.ui.widgets.course_list import LessonList
from tutor.ui.widgets.key_bar import KeyBar
from tutor.ui.widgets.status import StatusLine


class CourseScreen(TutorScreen):
    BINDINGS: list[BindingType] = [verb("e", "explain_error")]

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        with Vertical(id="course"):
            with Horizontal(id="progress-row"):
                yield Static(id="progress-label")
                yield ProgressBar(id="progress-bar", show_eta=False, show_percentage=False)
            yield Static(id="next")
            yield LessonList(id="lessons")
            yield Static(id="problems")
        yield KeyBar()

    def on_mount(self) -> None:
        self.apply_language()
        self.query_one(LessonList).focus()

    def on_screen_resume(self) -> None:
        self.apply_language()  # progress may have changed in a lesson

    def apply_language(self) -> None:
        super().apply_language()
        app, language = self.tutor, self.language
        self.query_one(StatusLine).show(tr("ui.course.title", language), app.save.learner, language)
        place = place_in(app.course, app.save)
        self.query_one("#progress-label", Static).update(
            Text(tr("ui.course.progress", language, solved=place.solved, total=place.total)))
        self.query_one(ProgressBar).update(total=max(place.total, 1), progress=place.solved)
        following = next_step(place, language)
        following.no_wrap, following.overflow = True, "ellipsis"  # one line, under the bar
        self.query_one("#next", Static).update(following)
        lessons = self.query_one(LessonList)
        if lessons.highlighted_option is not None:  # back from a lesson: the cursor stays where it was
            current = lessons.highlighted_option.id
        else:  # on open: the lesson to take next, or once all are solved the last one worked on
            current = place.next_lesson.id if place.next_lesson else app.save.last_lesson
        lessons.show(place, app.save, language, current)
        problems = Text()
        for problem in app.course.problems:
            problems.append(f"⚠ {tr('list.problem', language)} ", style="bold")
            problems.append(f"{problem}\n")
        widget = self.query_one("#problems", Static)
        widget.update(problems)
        widget.display = bool(app.course.problems)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.post_message(LessonChosen(event.option.id))

    def action_explain_error(self) -> None:
        self.app.push_screen(ExplainScreen())

