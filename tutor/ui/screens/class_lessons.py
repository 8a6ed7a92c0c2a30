"""The class by lesson, for the teacher: how many are on each, how many solved it, and what goes
wrong most often for those who have not."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

from tutor.core.i18n import tr
from tutor.core.liveclass import ClassView
from tutor.ui.keys import verb
from tutor.ui.screens.base import TutorScreen
from tutor.ui.screens.class_learner import problem_text
from tutor.ui.widgets.key_bar import KeyBar

COLUMNS = (("lesson", 24), ("on_it", 6), ("solved", 7), ("common", 30))


class ClassLessonsScreen(TutorScreen):
    BINDINGS = [verb("escape,q,c", "back_to_class")]

    def compose(self) -> ComposeResult:
        yield Static(id="lessons-title")
        yield DataTable(id="lessons-table", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        self.apply_language()

    def apply_language(self) -> None:
        super().apply_language()
        self.query_one("#lessons-title", Static).update(Text(tr("class.lessons.title", self.language), style="bold"))
        table = self.query_one("#lessons-table", DataTable)
        table.clear(columns=True)
        for key, width in COLUMNS:
            table.add_column(tr(f"class.lessons.{key}", self.language), key=key, width=width)
        view = getattr(self.app, "view", None)
        if view is not None:
            self.show(view)

    def show(self, view: ClassView) -> None:
        table = self.query_one("#lessons-table", DataTable)
        table.clear()
        learners = len(view.rows)
        for column in view.columns:
            common = (f"{problem_text(column.common_problem, self.language)} ({column.common_count})"
                      if column.common_problem else "-")
            table.add_row(Text(column.lesson), Text(str(column.on_it), justify="right"),
                          Text(f"{column.solved}/{learners}", justify="right"), Text(common), key=column.lesson)

    def action_back_to_class(self) -> None:
        self.dismiss()
