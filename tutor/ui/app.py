"""The tutor app: session state (course, progress, language, anomaly mode) and the screens.

`build_app` is the factory: from the resolved `Settings` it loads the course and the save
and hands them to `TutorApp`; widgets never touch the disk, and only the app calls the store.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import App
from textual.binding import BindingType
from textual.reactive import var
from textual.timer import Timer

from tutor.core.course import Course, load_course
from tutor.core.crashlog import write_crash_log
from tutor.core.i18n import DEFAULT_LANGUAGE, Wording, available_languages, say, tr
from tutor.core.progress import LearnerSave, ProgressStore, SaveError
from tutor.core.settings import Settings
from tutor.core.warm import RunnerSession
from tutor.present.console import print_error
from tutor.ui.keys import verb
from tutor.ui.messages import BlockEdited, CourseChosen, HintRevealed, LessonChosen, RunFinished
from tutor.ui.screens.course import CourseScreen
from tutor.ui.screens.help import HelpScreen

if TYPE_CHECKING:
    from tutor.ui.screens.lesson import LessonScreen

# The lesson screen brings the editor and its syntax highlighting: it is imported
# when the first lesson opens, so the course screen appears sooner.
_LESSON_MODULE = "tutor.ui.screens.lesson"

# Typing saves the block after this pause (and always on leaving), not on every key.
BLOCK_SAVE_DELAY_S = 0.8


class TutorApp(App[None]):
    CSS_PATH = "tutor.tcss"
    TITLE = "minigpt-tutor"
    ENABLE_COMMAND_PALETTE = False
    BINDINGS: list[BindingType] = [
        verb("a", "toggle_anomaly"),
        verb("l", "switch_language"),
        verb("question_mark", "help"),
        verb("q", "quit"),
    ]

    # The one language of the session: every screen and pane redraws when it changes.
    language: var[str] = var(DEFAULT_LANGUAGE, init=False)

    def __init__(self, course: Course, store: ProgressStore, save: LearnerSave, language: str,
                 open_lesson: str | None = None, notices: list[Wording] | None = None) -> None:
        super().__init__()
        self.course = course
        self.store = store
        self.save = save
        self.set_reactive(TutorApp.language, language)
        self.anomaly = False  # anomaly detection for the next run
        self.open_lesson = open_lesson
        self.notices = notices or []
        self._unsaved_blocks: dict[str, str] = {}
        self._block_timer: Timer | None = None
        self.runner_session = RunnerSession()  # started with the first lesson shown
        self._crash_message = Text("")

    # --- screens ---

    def on_mount(self) -> None:
        self.push_screen(CourseScreen())
        if self.open_lesson:
            self.show_lesson(self.open_lesson)
        for notice in self.notices:
            self.notify(say(notice, self.language), severity="warning", timeout=15)

    def on_unmount(self) -> None:
        self.runner_session.close()

    @property
    def lesson_screen(self) -> LessonScreen | None:
        module = sys.modules.get(_LESSON_MODULE)  # not imported yet: no lesson was ever opened
        return self.screen if module is not None and isinstance(self.screen, module.LessonScreen) else None

    def show_lesson(self, lesson_id: str) -> None:
        lesson = self.course.get(lesson_id)
        self.runner_session.start()  # torch loads in the background while the learner reads
        on_lesson = self.lesson_screen is not None
        self._leave_lesson()
        progress = self.save.lessons.get(lesson_id)
        block = progress.last_block if progress and progress.last_block is not None else lesson.code.starter
        screen = import_module(_LESSON_MODULE).LessonScreen(lesson, block, progress.hint_rung if progress else 0)
        if on_lesson:
            self.switch_screen(screen)
        else:
            self.push_screen(screen)
        self._store(self.store.record_opened, lesson_id)

    def _leave_lesson(self) -> None:
        """Stop the open lesson's run and record its block and time."""
        screen = self.lesson_screen
        if screen is not None:
            seconds = screen.leave()
            self._flush_blocks()
            self._store(self.store.add_time, screen.lesson.id, round(seconds, 1))

    def on_lesson_chosen(self, message: LessonChosen) -> None:
        self.show_lesson(message.lesson_id)

    def on_course_chosen(self, message: CourseChosen) -> None:
        if self.lesson_screen is not None:
            self._leave_lesson()
            self.pop_screen()

    # --- recording progress: the only calls to the store ---

    def _store(self, change: Callable[..., LearnerSave], *args: object) -> None:
        try:
            self.save = change(*args)
        except SaveError as error:
            self.notify(say(error.wording, self.language), severity="error", timeout=15)
        for notice in self.store.take_notices():  # a block too large to keep
            self.notify(say(notice, self.language), severity="warning", timeout=15)

    def on_block_edited(self, message: BlockEdited) -> None:
        self._unsaved_blocks[message.lesson_id] = message.block
        if self._block_timer is not None:
            self._block_timer.stop()
        self._block_timer = self.set_timer(BLOCK_SAVE_DELAY_S, self._flush_blocks)

    def _flush_blocks(self) -> None:
        pending, self._unsaved_blocks = self._unsaved_blocks, {}
        for lesson_id, block in pending.items():
            self._store(self.store.save_block, lesson_id, block)

    def on_run_finished(self, message: RunFinished) -> None:
        self._store(self.store.record_run, message.lesson_id, message.block, message.result)
        self._flush_blocks()  # anything typed during the run is newer than the block that ran

    def on_hint_revealed(self, message: HintRevealed) -> None:
        self._store(self.store.record_hint, message.lesson_id, message.rung)

    # --- app-wide keys ---

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_anomaly":
            return self.lesson_screen is not None  # runs happen only in a lesson
        return True

    def action_toggle_anomaly(self) -> None:
        self.anomaly = not self.anomaly
        if self.lesson_screen is not None:
            self.lesson_screen.show_status()
        self.notify(tr("ui.anomaly.next_run", self.language,
                       state=tr("ui.anomaly.on" if self.anomaly else "ui.anomaly.off", self.language)))

    def action_switch_language(self) -> None:
        languages = available_languages()
        self.language = languages[(languages.index(self.language) + 1) % len(languages)]

    def watch_language(self, language: str) -> None:
        """Remember the choice, and have every screen say everything again in it."""
        self._store(self.store.set_language, language)
        for screen in self.screen_stack:
            relabel = getattr(screen, "apply_language", None)
            if relabel is not None:
                relabel()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        bindings = [*getattr(self.screen, "BINDINGS", []), *self.BINDINGS]
        note = "ui.help.editor_note" if self.lesson_screen is not None else None
        self.push_screen(HelpScreen(bindings, note, editing=note is not None))

    async def action_quit(self) -> None:
        self._leave_lesson()
        self._flush_blocks()
        self.exit()

    # --- an error nothing caught ---

    def _handle_exception(self, error: Exception) -> None:
        """Textual's hook for an unhandled error: keep the learner's work first, log the
        traceback to a file, then let Textual close the app (exit status 1)."""
        self._crash_message = self._contain(error)
        super()._handle_exception(error)

    def _fatal_error(self) -> None:
        """Textual's report of the error: a short message instead of a traceback with locals."""
        self.bell()
        self.panic(self._crash_message)

    def _contain(self, error: Exception) -> Text:
        try:
            self._leave_lesson()
            self._flush_blocks()
            kept = tr("ui.crash.kept", self.language)
        except Exception as failure:  # the error may have left the screens in any state
            kept = tr("ui.crash.not_kept", self.language, detail=f"{type(failure).__name__}: {failure}")
        log = write_crash_log(error, kept)
        return Text(tr("ui.crash.message", self.language, error=type(error).__name__, kept=kept, log=str(log)),
                    style="bold")

    def action_help_quit(self) -> None:
        """Ctrl+C copies in the editor; say how to quit instead of Textual's English notice."""
        self.notify(tr("ui.quit_hint", self.language))


def build_app(settings: Settings, open_lesson: str | None = None) -> TutorApp:
    """The factory: the course and the learner's save, as the settings name them.

    Raises KeyError (naming the known lessons) for an unknown `open_lesson`."""
    course = load_course(settings.lessons_dir)
    if open_lesson is not None:
        course.get(open_lesson)
    store = ProgressStore(settings.saves_dir, settings.learner)
    notices: list[Wording] = []
    try:
        save = store.load()
    except SaveError as error:
        save = LearnerSave(learner=store.learner)
        notices.append(error.wording)
    return TutorApp(course, store, save, settings.language, open_lesson=open_lesson,
                    notices=[*store.take_notices(), *notices])


def run_tutor(settings: Settings, open_lesson: str | None = None) -> int:
    try:
        app = build_app(settings, open_lesson)
    except KeyError as error:  # a bad --lesson
        print_error(error.args[0])
        return 2
    app.run()
    return app.return_code or 0
