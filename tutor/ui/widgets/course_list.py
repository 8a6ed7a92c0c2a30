"""The course: lessons grouped by topic, each with this learner's state, and the overall progress."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tutor.core.course import Course
from tutor.core.i18n import tr
from tutor.core.progress import LearnerSave, LessonState
from tutor.present.progress import LESSON_STATE_MARK, progress_summary
from tutor.ui.keys import verb

def solved_count(course: Course, save: LearnerSave) -> int:
    return sum(1 for lesson in course.lessons if (p := save.lessons.get(lesson.id)) and p.state is LessonState.SOLVED)


class LessonList(OptionList):
    """One option per lesson (its id is the lesson id); topics are disabled headings."""

    BINDINGS = [verb("enter", "select")]

    def show(self, course: Course, save: LearnerSave, language: str, highlight: str | None) -> None:
        self.clear_options()
        for topic, lessons in course.topics().items():
            self.add_option(Option(Text(tr(f"topic.{topic}", language), style="bold underline"), disabled=True))
            for lesson in lessons:
                progress = save.lessons.get(lesson.id)
                row = Table.grid(expand=True, padding=(0, 1))
                row.add_column(width=2, no_wrap=True)
                row.add_column(ratio=1)
                row.add_column(justify="right", no_wrap=True)
                row.add_row(LESSON_STATE_MARK[progress.state if progress else LessonState.NEW], lesson.title.get(language),
                            progress_summary(progress, language))
                self.add_option(Option(row, id=lesson.id))
        if highlight is not None and any(lesson.id == highlight for lesson in course.lessons):
            self.highlighted = self.get_option_index(highlight)
        elif course.lessons:
            self.highlighted = self.get_option_index(course.lessons[0].id)
