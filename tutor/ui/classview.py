"""`minigpt-tutor class`: the teacher's live view of a saves folder (tutor/core/liveclass.py).

It only reads: the folder is watched (watchfiles, on inotify where there is one), and each
change re-reads the class the careful way the report does. A clock redraws the minutes
once every CLOCK_S; nobody working costs nothing else. Enter opens a learner, `c` the
lessons, `?` the help with the stuck score's formula.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.reactive import var
from textual.widgets import DataTable, Static

from tutor.core.classreport import printable
from tutor.core.course import Course, load_course
from tutor.core.i18n import DEFAULT_LANGUAGE, available_languages, tr, tr_count
from tutor.core.liveclass import ClassView, LearnerRow, build_view
from tutor.core.progress import MAX_HINT_RUNG, SAVE_SUFFIX
from tutor.core.settings import Settings
from tutor.present.console import print_error
from tutor.ui.keys import verb
from tutor.ui.screens.class_learner import ClassLearnerScreen, problem_text
from tutor.ui.screens.class_lessons import ClassLessonsScreen
from tutor.ui.screens.help import HelpScreen
from tutor.ui.widgets.key_bar import KeyBar

CLOCK_S = 60.0  # the minutes columns move on even when no save changes
DEBOUNCE_MS = 200  # a save is a temporary file and a rename: one re-read for them
# The table's columns: catalogue key and width at 80 columns; a wider terminal widens the first, second
# and fifth (names, lessons and problems).
COLUMNS = (("learner", 10), ("lesson", 11), ("minutes", 3), ("runs", 3), ("problem", 18), ("hint", 3),
           ("idle", 4), ("solved", 4), ("score", 5))
NARROWEST = 80
GROWING = {"learner": 1, "lesson": 1, "problem": 1}  # shares of the width beyond NARROWEST


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{min(value, 999):.0f}"


class ClassApp(App[None]):
    CSS_PATH = "tutor.tcss"
    TITLE = "minigpt-tutor class"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: list[BindingType] = [
        verb("c", "lessons"),
        verb("l", "switch_language"),
        verb("question_mark", "help"),
        verb("q", "quit"),
    ]

    language: var[str] = var(DEFAULT_LANGUAGE, init=False)

    def __init__(self, course: Course, saves_dir: Path, language: str) -> None:
        super().__init__()
        self.course = course
        self.saves_dir = saves_dir
        self.set_reactive(ClassApp.language, language)
        self.view: ClassView | None = None
        self._shown_files: list[str] = []  # the table's rows, in order
        self.updated: datetime | None = None
        self.folder_error = ""

    def compose(self) -> ComposeResult:
        yield Static(id="class-title")
        yield DataTable(id="class-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="class-unreadable")
        yield KeyBar()

    def on_mount(self) -> None:
        self._label_columns()
        self.reload()
        self.set_interval(CLOCK_S, self.reload)
        # A folder removed while watched ends the watch, not the view: the clock still re-reads it.
        self.run_worker(self._watch(), exclusive=True, group="watch", exit_on_error=False)

    async def _watch(self) -> None:
        from watchfiles import awatch  # only this view and `watch` need it

        stop = asyncio.Event()
        try:
            async for _ in awatch(self.saves_dir, debounce=DEBOUNCE_MS, step=50, stop_event=stop,
                                  watch_filter=lambda change, path: path.endswith(SAVE_SUFFIX)):
                self.reload()
        finally:
            stop.set()

    # --- drawing ---

    def reload(self) -> None:
        """Re-read the folder and redraw every screen that shows it."""
        try:
            self.view = build_view(self.saves_dir, self.course)
            self.folder_error = ""
        except FileNotFoundError:  # the folder went away: say so under the last view, keep trying
            self.folder_error = tr("report.no_folder", self.language, folder=str(self.saves_dir))
        except OSError as error:
            self.folder_error = tr("report.folder_error", self.language, folder=str(self.saves_dir),
                                   detail=error.strerror or str(error))
        self.updated = datetime.now()
        self._draw()
        for screen in self.screen_stack:
            show = getattr(screen, "show", None)
            if show is not None and self.view is not None:
                show(self.view)

    def _label_columns(self) -> None:
        table = self.query_one("#class-table", DataTable)
        cursor = table.cursor_row
        table.clear(columns=True)
        self._shown_files = []
        extra = max(0, self.size.width - NARROWEST) // sum(GROWING.values())
        for key, width in COLUMNS:
            table.add_column(tr(f"class.column.{key}", self.language), key=key, width=width + extra * GROWING.get(key, 0))
        table.move_cursor(row=cursor)

    def on_resize(self) -> None:
        self._label_columns()
        self._draw()

    def _draw(self) -> None:
        title = self.query_one("#class-title", Static)
        count = len(self.view.rows) if self.view else 0
        stamp = self.updated.strftime("%H:%M:%S") if self.updated else ""
        title.update(Text(tr_count("class.title", self.language, count, folder=printable(str(self.saves_dir)),
                                   time=stamp), style="bold"))
        self._fill_table([(row.entry.file, self._cells(row)) for row in self.view.rows] if self.view else [])
        notes = [Text(self.folder_error, style="bold red")] if self.folder_error else []
        for problem in self.view.unreadable if self.view else []:
            notes.append(Text(tr("class.unreadable", self.language, **problem), style="yellow"))
        self.query_one("#class-unreadable", Static).update(Text("\n").join(notes))

    def _fill_table(self, rows: list[tuple[str, list[Text]]]) -> None:
        """Show `rows` (file, cells). The same learners in the same order change only the cells that
        differ (the clock's redraw is then cheap); otherwise the table is rebuilt, the cursor staying
        on its learner."""
        table = self.query_one("#class-table", DataTable)
        files = [file for file, _ in rows]
        if files == self._shown_files:
            for file, cells in rows:
                for (key, _), cell, old in zip(COLUMNS, cells, table.get_row(file)):
                    if cell != old:
                        table.update_cell(file, key, cell)
            return
        selected = self.selected_file()
        table.clear()
        for file, cells in rows:
            table.add_row(*cells, key=file)
        self._shown_files = files
        if selected in files:
            table.move_cursor(row=files.index(selected))

    def _cells(self, row: LearnerRow) -> list[Text]:
        stuck_style = "bold red" if row.score >= 4 else ("yellow" if row.score >= 2 else "")
        repeats = f" x{row.repeats}" if row.repeats > 1 else ""
        name = Text(printable(row.learner), style="bold red" if not row.entry.owner_is_learner else "")
        if row.entry.lookalike is not None:
            name.stylize("bold yellow")
        return [name,
                Text(printable(row.lesson or "-")),
                Text(_minutes(row.minutes_on_lesson), justify="right"),
                Text(str(row.runs_since_progress), justify="right"),
                Text(problem_text(row.last_problem, self.language) + repeats,
                     style="bold" if row.repeats > 1 else ""),
                Text(f"{row.hint_rung}/{MAX_HINT_RUNG}", style="bold" if row.hint_rung >= MAX_HINT_RUNG else ""),
                Text(_minutes(row.idle_minutes), justify="right"),
                Text(str(row.solved), justify="right"),
                Text(f"{row.score:g}", justify="right", style=stuck_style)]

    def selected_file(self) -> str | None:
        table = self.query_one("#class-table", DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def row_of(self, file: str) -> LearnerRow | None:
        return next((row for row in self.view.rows if row.entry.file == file), None) if self.view else None

    # --- keys ---

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id != "class-table":
            return
        row = self.row_of(str(event.row_key.value))
        if row is not None:
            self.push_screen(ClassLearnerScreen(row.entry.file, self.course))

    def action_lessons(self) -> None:
        if not isinstance(self.screen, ClassLessonsScreen):
            self.push_screen(ClassLessonsScreen())

    def action_switch_language(self) -> None:
        languages = available_languages()
        self.language = languages[(languages.index(self.language) + 1) % len(languages)]

    def watch_language(self, language: str) -> None:
        self._label_columns()
        self.reload()
        for screen in self.screen_stack:
            relabel = getattr(screen, "apply_language", None)
            if relabel is not None:
                relabel()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        bindings = [*getattr(self.screen, "BINDINGS", []), *self.BINDINGS]
        self.push_screen(HelpScreen(bindings, "class.help"))


def run_class_view(settings: Settings) -> int:
    saves_dir = settings.saves_dir
    if not saves_dir.is_dir():
        print_error(tr("report.no_folder", settings.language, folder=str(saves_dir)))
        return 2
    app = ClassApp(load_course(settings.lessons_dir), saves_dir, settings.language)
    app.run()
    return app.return_code or 0
