"""The course map: topics in learning order, each with what it teaches and how much of it is solved,
and under each its lessons with this learner's state; the lesson to take next is marked."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tutor.core.lessons import Lesson
from tutor.core.place import Place
from tutor.core.progress import LearnerSave
from tutor.present.progress import NEXT_MARK, NEXT_STYLE, progress_summary, state_mark, topic_heading
from tutor.ui.keys import verb


class LessonList(OptionList):
    """One option per lesson (its id is the lesson id); topics are disabled headings."""

    BINDINGS = [verb("enter", "select")]

    def show(self, place: Place, save: LearnerSave, language: str, highlight: str | None) -> None:
        self.clear_options()
        for section in place.topics:
            self.add_option(Option(topic_heading(section, language), disabled=True))
            for lesson in section.lessons:
                self.add_option(Option(lesson_row(lesson, save, language, place.is_next(lesson)), id=lesson.id))
        ids = [lesson.id for section in place.topics for lesson in section.lessons]
        if highlight in ids:
            self.highlighted = self.get_option_index(highlight)
        elif ids:
            self.highlighted = self.get_option_index(ids[0])


def lesson_row(lesson: Lesson, save: LearnerSave, language: str, is_next: bool) -> Table:
    row = Table.grid(expand=True, padding=(0, 1))
    row.add_column(width=1, no_wrap=True)
    row.add_column(width=1, no_wrap=True)
    row.add_column(ratio=1)
    row.add_column(justify="right", no_wrap=True)
    row.add_row(NEXT_MARK if is_next else "", state_mark(save.state(lesson.id)),
                Text(lesson.title.get(language), style=NEXT_STYLE if is_next else ""),
                progress_summary(save.lessons.get(lesson.id), language))
    return row
