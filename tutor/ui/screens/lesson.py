"""A lesson: the story, the learner's block, runs in a worker, the verdict, and the hint cascade."""

from __future__ import annotations

import time

from textual import work
from textual.app import ComposeResult, SuspendNotSupported
from textual.containers import Container
from textual.widget import Widget
from textual.widgets import TabbedContent, TabPane, TextArea
from textual.worker import Worker, WorkerState

from tutor.core.i18n import Wording, say, tr
from tutor.core.lessons import Lesson
from tutor.core.progress import SaveError
from tutor.core.results import RunResult
from tutor.core.runner import BlockRun, RunCancelled
from tutor.core.workfile import block_path
from tutor.present.graph import training_steps
from tutor.present.hints import RUNG_NAMES
from tutor.ui.external_editor import edit_externally, editor_command
from tutor.ui.keys import verb
from tutor.ui.messages import BlockEdited, CourseChosen, HintRevealed, LessonChosen, RunFinished
from tutor.ui.screens.base import TutorScreen
from tutor.ui.screens.confirm import ConfirmScreen
from tutor.ui.widgets.editor import BlockEditor
from tutor.ui.widgets.graph_view import GraphView
from tutor.ui.widgets.hints import HintPanel
from tutor.ui.widgets.key_bar import KeyBar
from tutor.ui.widgets.loss_plot import ComparisonView
from tutor.ui.widgets.result import Phase, ResultPanel, ResultView
from tutor.ui.widgets.status import StatusLine
from tutor.ui.widgets.story import StoryPanel

DIRECT_RUNG = len(RUNG_NAMES)
TABS = ("result", "graph", "compare")
NO_BACKWARD = {"generation"}
WIDE_COLUMNS = 120  # from here the story sits beside the result, the editor across the bottom
PANES = ("story", "editor", "panes", "hints")  # what `z` zooms and `f` moves between  # scenarios whose check never calls backward: no graph to show  # the right-hand panes, in the order `t` cycles them


class LessonScreen(TutorScreen):
    BINDINGS = [
        verb("r,ctrl+r", "run"),
        verb("escape", "cancel_run", priority=True),  # only while a run is in progress
        verb("i", "edit"),
        verb("tab", "edit", show=False),  # Tab indents once inside
        verb("f", "focus_next_pane", show=False),
        verb("h", "hint"),
        verb("n", "next_lesson"),
        verb("p", "previous_lesson"),
        verb("x", "reset"),
        verb("e", "external_editor"),
        verb("z", "zoom"),
        verb("t", "next_tab"),
        verb("w", "graph_scope"),  # shown while the graph is the right-hand pane
        verb("c", "course"),
    ]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (WIDE_COLUMNS, "-wide")]

    def __init__(self, lesson: Lesson, block: str, hint_rung: int) -> None:
        super().__init__()
        self.lesson = lesson
        self.initial_block = block
        self.hint_rung = hint_rung
        self.latest: RunResult | None = None
        self.latest_block: str | None = None
        self._run: tuple[BlockRun, str] | None = None
        self._opened_at = time.monotonic()
        # The layout class from the first frame: no flash of the stacked layout on a wide terminal.
        self.add_class("-wide" if self.app.size.width >= WIDE_COLUMNS else "-narrow")

    # --- layout ---

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        with Container(id="body"):
            yield StoryPanel(self.lesson, self.language, id="story")
            yield BlockEditor(self.initial_block, id="editor")
            with Container(id="right"):
                with TabbedContent(id="panes", initial="tab-result"):
                    with TabPane("", id="tab-result"):
                        yield ResultPanel(id="result")
                    with TabPane("", id="tab-graph"):
                        yield GraphView(language=self.language, id="graph")
                    with TabPane("", id="tab-compare"):
                        yield ComparisonView(language=self.language, id="compare")
                yield HintPanel(id="hints")
        yield KeyBar()

    def on_mount(self) -> None:
        self.apply_language()
        self.query_one(ResultPanel).show(ResultView(Phase.IDLE, self.lesson), self.language)
        self.query_one(StoryPanel).focus()

    def apply_language(self) -> None:
        super().apply_language()
        language = self.language
        self.show_status()
        self.query_one(StoryPanel).show(language)
        self._label_editor()
        self.query_one(ResultPanel).relabel(language)
        tabs = self.query_one(TabbedContent)
        for name in TABS:
            tabs.get_tab(f"tab-{name}").label = tr(f"ui.tab.{name}", language)
        for name in ("graph", "compare"):
            self.query_one(f"#{name}").border_title = tr(f"ui.tab.{name}", language)
        self.query_one(GraphView).language = language  # each pane redraws itself
        self.query_one(ComparisonView).language = language
        self._show_hints()

    def show_status(self) -> None:
        course = self.tutor.course.lessons
        place = tr("ui.lesson.place", self.language, number=course.index(self.lesson) + 1, total=len(course))
        self.query_one(StatusLine).show(place, self.tutor.save.learner, self.language, self.tutor.anomaly)

    def _show_hints(self) -> None:
        self.query_one(HintPanel).show(self.lesson, self.hint_rung, self.latest, self.language)

    # --- which keys apply now ---

    @property
    def running(self) -> bool:
        return self._run is not None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_run":
            return self.running  # hidden, and Escape goes on to the editor, when idle
        if action in ("run", "reset", "external_editor"):
            return None if self.running else True
        if action == "hint":
            return None if self.hint_rung >= DIRECT_RUNG else True
        if action == "graph_scope":  # (bindings are checked before the screen is composed)
            graphs, tabs = self.query(GraphView), self.query(TabbedContent)
            shown = graphs.first().graph if graphs and tabs and tabs.first().active == "tab-graph" else None
            return shown is not None and bool(shown.scope)
        if action in ("next_lesson", "previous_lesson"):
            step = 1 if action == "next_lesson" else -1
            return True if self.tutor.course.neighbour(self.lesson.id, step) else None
        return True

    # --- running the block ---

    def action_run(self) -> None:
        block = self.query_one(BlockEditor).text
        run = BlockRun(self.lesson, block, detect_anomaly=self.tutor.anomaly, capture_graph=True,
                       session=self.tutor.runner_session)
        self._run = (run, block)
        self.query_one(ResultPanel).show(ResultView(Phase.RUNNING, self.lesson, anomaly=self.tutor.anomaly), self.language)
        self.refresh_bindings()
        self.run_block(run)

    @work(thread=True, exclusive=True, group="run", exit_on_error=False)
    def run_block(self, run: BlockRun) -> RunResult | None:
        """Blocks in a thread until the child is done; None when cancelled."""
        try:
            return run.wait()
        except RunCancelled:
            return None

    def action_cancel_run(self) -> None:
        if self._run is not None:
            self._run[0].cancel()  # kills the child's process group; the worker then returns None

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a run ends: finished, cancelled, or the tutor failed to run it."""
        if event.worker.group != "run" or event.state not in (WorkerState.SUCCESS, WorkerState.ERROR):
            return
        block = self._run[1] if self._run else ""
        self._run = None
        self.refresh_bindings()
        panel = self.query_one(ResultPanel)
        if event.state is WorkerState.ERROR:
            panel.show(ResultView(Phase.BROKEN, self.lesson, detail=str(event.worker.error)), self.language)
        elif event.worker.result is None:
            panel.show(ResultView(Phase.CANCELLED, self.lesson), self.language)
        else:
            self._finished(block, event.worker.result)

    def _finished(self, block: str, result: RunResult) -> None:
        self.latest, self.latest_block = result, block
        self.add_class("-ran")  # a small terminal now gives the result more room than the story
        next_lesson = self.tutor.course.neighbour(self.lesson.id, 1)
        view = ResultView(Phase.DONE, self.lesson, anomaly=self.tutor.anomaly, result=result, next_lesson=next_lesson)
        self.query_one(ResultPanel).show(view, self.language)
        stopped = Wording(key="graph.no_backward") if self.lesson.check.scenario in NO_BACKWARD else result.wording
        self.query_one(GraphView).show(result.graph, self.language, stopped=stopped, steps=training_steps(result))
        self.query_one(ComparisonView).show_result(result, self.language)
        editor = self.query_one(BlockEditor)
        editor.mark_line(result.diagnosis.line if result.diagnosis and editor.text == block else None)
        self._show_hints()
        self.post_message(RunFinished(self.lesson.id, block, result))

    def leave(self) -> float:
        """Stop any run and say how long the learner worked here (the app records it)."""
        self.action_cancel_run()
        return time.monotonic() - self._opened_at

    # --- the block ---

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        editor = self.query_one(BlockEditor)
        if editor.offending_line is not None and editor.text != self.latest_block:
            editor.mark_line(None)  # the line torch blamed may have moved
        self.post_message(BlockEdited(self.lesson.id, editor.text))

    def action_edit(self) -> None:
        editor = self.query_one(BlockEditor)
        if self.maximized is not None and self.maximized is not editor:
            self.minimize()  # never type into a pane hidden behind a zoomed one
        editor.start_editing()

    def on_block_editor_mode_changed(self, message: BlockEditor.ModeChanged) -> None:
        self._label_editor()

    def _label_editor(self) -> None:
        """The border says whether keys type into the block or act as the tutor's keys."""
        editor = self.query_one(BlockEditor)
        editor.border_title = tr("ui.lesson.editor", self.language)
        mode = "ui.editor.editing" if editor.editing else "ui.editor.viewing" if editor.has_focus else None
        editor.border_subtitle = tr(mode, self.language) if mode else ""
        editor.set_class(editor.editing, "-editing")

    def action_reset(self) -> None:
        def reset(confirmed: bool | None) -> None:
            if confirmed:
                self.query_one(BlockEditor).load_text(self.lesson.code.starter)
                self.query_one(BlockEditor).mark_line(None)

        self.app.push_screen(ConfirmScreen("ui.confirm.reset"), reset)

    def action_external_editor(self) -> None:
        editor = self.query_one(BlockEditor)
        try:
            edited = edit_externally(self.app, editor.text, block_path(self.tutor.store, self.lesson.id))
        except SaveError as error:
            self.notify(say(error.wording, self.language), severity="error")
            return
        except SuspendNotSupported:
            self.notify(tr("ui.editor.cannot_suspend", self.language), severity="error")
            return
        except OSError as error:
            self.notify(tr("ui.editor.failed", self.language, command=" ".join(editor_command()), detail=str(error)),
                        severity="error")
            return
        if edited != editor.text:
            editor.load_text(edited)

    # --- hints ---

    def action_hint(self) -> None:
        rung = self.hint_rung + 1
        if rung > DIRECT_RUNG:
            return
        if rung < DIRECT_RUNG:
            self._reveal(rung)
            return

        def reveal_direct(confirmed: bool | None) -> None:
            if confirmed:
                self._reveal(rung)

        self.app.push_screen(ConfirmScreen("ui.confirm.direct_hint"), reveal_direct)

    def _reveal(self, rung: int) -> None:
        self.hint_rung = rung
        self._show_hints()
        self.refresh_bindings()
        self.post_message(HintRevealed(self.lesson.id, rung))

    # --- moving around ---

    def action_zoom(self) -> None:
        """Zoom the pane that holds the focus (the story when none does), and back."""
        if self.maximized is not None:
            self.minimize()
            return
        pane = self._pane_of(self.focused) or self.query_one(StoryPanel)
        self.maximized = pane
        if self.focused is None or self._pane_of(self.focused) is not pane:
            self._focus_pane(pane)

    def _pane_of(self, widget: Widget | None) -> Widget | None:
        """The zoomable pane (story, editor, right-hand pane or hints) that holds `widget`."""
        node = widget
        while isinstance(node, Widget) and node is not self:
            if node.id in PANES:
                return node
            node = node.parent
        return None

    def _focus_pane(self, pane: Widget) -> None:
        """Focus the pane itself, or for the right-hand pane the active tab's content."""
        if pane.id == "panes":
            active = self.query_one(TabbedContent).active
            target: Widget = {"tab-result": self.query_one(ResultPanel), "tab-graph": self.query_one("#graph-tree"),
                              "tab-compare": self.query_one("#compare DataTable")}[active]
            target.focus()
        else:
            pane.focus()

    def action_focus_next_pane(self) -> None:
        panes = [self.query_one(f"#{name}") for name in PANES]
        current = self._pane_of(self.focused)
        following = panes[(panes.index(current) + 1) % len(panes)] if current in panes else panes[0]
        if self.maximized is not None:
            self.maximized = following
        self._focus_pane(following)

    def action_next_tab(self) -> None:
        tabs = self.query_one(TabbedContent)
        current = TABS.index(tabs.active.removeprefix("tab-"))
        tabs.active = f"tab-{TABS[(current + 1) % len(TABS)]}"
        panes = self.query_one("#panes")
        if self.maximized is not None and self.maximized is not panes:
            self.minimize()
        self._focus_pane(panes)  # its keys (arrows, w) work at once
        self.refresh_bindings()

    def action_graph_scope(self) -> None:
        self.query_one(GraphView).action_graph_scope()

    def action_next_lesson(self) -> None:
        self._go(1)

    def action_previous_lesson(self) -> None:
        self._go(-1)

    def _go(self, step: int) -> None:
        neighbour = self.tutor.course.neighbour(self.lesson.id, step)
        if neighbour is not None:
            self.post_message(LessonChosen(neighbour.id))

    def action_course(self) -> None:
        self.post_message(CourseChosen())
