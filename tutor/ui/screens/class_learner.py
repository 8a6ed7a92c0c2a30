"""One learner, for the teacher: their current block (read-only), their last verdict, the hints
they revealed, and their run history. It follows the live view: a new run shows at once."""

from __future__ import annotations

from rich.console import Group
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tutor.core.classreport import LearnerEntry, printable
from tutor.core.course import Course
from tutor.core.i18n import tr
from tutor.core.liveclass import ClassView, LearnerRow, problem
from tutor.core.progress import MAX_HINT_RUNG, LessonProgress
from tutor.core.results import Status
from tutor.present.hints import hint_lines
from tutor.ui.keys import verb
from tutor.ui.screens.base import TutorScreen
from tutor.ui.widgets.key_bar import KeyBar

# A run without a torch error is named by its verdict (tutor.core.liveclass.problem).
_VERDICTS = {status.value for status in Status}


def problem_text(code: str, language: str) -> str:
    """A run's problem, short: torch's error kind as its code, a verdict in words; '-' for none."""
    if not code:
        return "-"
    return tr(f"status.{code}", language) if code in _VERDICTS else code


def problem_sentence(code: str, language: str) -> str:
    """A run's problem in a sentence, for the drill-down."""
    if not code:
        return tr("status.passed", language)
    return tr(f"status.{code}", language) if code in _VERDICTS else f"{code}: {tr(f'kind.{code}', language)}"


def learner_name(entry: LearnerEntry, language: str) -> Text:
    """The learner's name as text (never markup, control characters escaped), then whose the file is
    when it is not theirs, and the names it looks like."""
    name = Text(printable(entry.learner))
    if not entry.owner_is_learner:
        name.append(f" ({printable(tr('report.owned_by', language, owner=entry.owner))})", style="bold red")
    if entry.lookalike is not None:
        note = tr("report.lookalike", language, scripts="+".join(entry.lookalike.scripts))
        if entry.lookalike.looks_like:
            note += " " + tr("report.looks_like", language, names=", ".join(entry.lookalike.looks_like))
        name.append(f" ({printable(note)})", style="bold yellow")
    return name


class ClassLearnerScreen(TutorScreen):
    BINDINGS = [verb("escape,q", "back_to_class")]

    def __init__(self, file: str, course: Course) -> None:
        super().__init__()
        self.file = file
        self.course = course
        self.row: LearnerRow | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="learner-title")
        with VerticalScroll(id="learner-box"):
            yield Static(id="learner-verdict")
            yield Static(id="learner-block")
            yield Static(id="learner-hints")
            yield Static(id="learner-history")
        yield KeyBar()

    def on_mount(self) -> None:
        view = getattr(self.app, "view", None)
        if view is not None:
            self.show(view)

    def apply_language(self) -> None:
        super().apply_language()
        self._draw()

    def show(self, view: ClassView) -> None:
        """Draw the learner as `view` has them (their save may have become unreadable: then say so)."""
        self.row = next((row for row in view.rows if row.entry.file == self.file), None)
        self._draw()

    def _draw(self) -> None:
        language = self.language
        title = self.query_one("#learner-title", Static)
        if self.row is None:
            title.update(Text(tr("class.learner.gone", language, file=printable(self.file)), style="bold red"))
            return
        row, save = self.row, self.row.entry.save
        progress = save.lessons.get(row.lesson, LessonProgress()) if row.lesson else LessonProgress()
        title.update(Text.assemble(learner_name(row.entry, language), " - ", printable(row.lesson or "-"), style="bold"))
        last = save.history[-1] if save.history else None
        verdict = tr("class.learner.no_run", language) if last is None else tr(
            "class.learner.last_run", language, problem=problem_sentence(problem(last), language),
            repeats=row.repeats, score=f"{row.score:g}")
        self.query_one("#learner-verdict", Static).update(Text(verdict))
        block = progress.last_block
        self.query_one("#learner-block", Static).update(
            Text(tr("class.learner.no_block", language), style="dim") if block is None
            else Syntax(block, "python", line_numbers=True, word_wrap=True))
        self.query_one("#learner-hints", Static).update(self._hints(row.lesson, progress.hint_rung))
        self.query_one("#learner-history", Static).update(self._history(row))

    def _hints(self, lesson_id: str | None, rung: int) -> Group | Text:
        heading = Text(tr("class.learner.hints", language := self.language, rung=rung, total=MAX_HINT_RUNG),
                       style="bold underline")
        try:
            lesson = self.course.get(lesson_id) if lesson_id else None
        except KeyError:  # a lesson the course no longer has
            lesson = None
        return Group(heading, hint_lines(lesson, rung, language)) if lesson is not None and rung else heading

    def _history(self, row: LearnerRow) -> Table:
        language = self.language
        table = Table(title=tr("class.learner.history", language), title_justify="left", expand=True)
        for key in ("time", "lesson", "problem", "hint", "changed"):
            table.add_column(tr(f"class.history.{key}", language), no_wrap=key != "problem")
        for run in reversed(row.entry.save.history):
            table.add_row(run.at.astimezone().strftime("%H:%M:%S"), Text(printable(run.lesson)),
                          problem_sentence(problem(run), language), f"{run.hint_rung}/{MAX_HINT_RUNG}",
                          tr("class.history.yes" if run.changed else "class.history.no", language))
        return table

    def action_back_to_class(self) -> None:
        self.dismiss()
