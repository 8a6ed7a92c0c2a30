"""`minigpt-tutor watch [LESSON]`: work on a lesson in your own editor, line by line.

The block is written to a file (its path is printed); every save of that file runs
the check and prints the verdict, the diagnosis and the evidence as plain lines, so
a screen reader or a plain SSH terminal follows it. Single keys: h hint, r run
again, n next lesson once solved, q quit. Progress is recorded as in the tutor.
"""

from __future__ import annotations

import argparse
import os
import queue
import sys
import termios
import threading
import time
import tty
from contextlib import contextmanager
from collections.abc import Iterator
from pathlib import Path

from rich.console import Console
from rich.text import Text

from tutor.commands.common import CommandError, course, lesson_named, open_store
from tutor.core.course import Course
from tutor.core.i18n import say, tr
from tutor.core.lessons import Lesson
from tutor.core.progress import MAX_HINT_RUNG, LearnerSave, LessonState, ProgressStore, SaveError
from tutor.core.results import RunResult
from tutor.core.runner import BlockRun
from tutor.core.settings import Settings
from tutor.core.warm import RunnerSession
from tutor.core.workfile import open_block_file, read_block
from tutor.present.console import console_for
from tutor.present.diagnosis import diagnosis_card, gradients_table, runner_note, verdict_text
from tutor.present.evidence import evidence_table
from tutor.present.hints import hint_lines

SAVED, KEY = "saved", "key"
DEBOUNCE_MS = 150  # an editor's save is often several writes (and a rename): one run for them


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("watch", help="check a lesson each time you save its block in your own editor",
                                   description="Write the lesson's block to a file and print its path; every time "
                                   "the file is saved, run the check and print the verdict, diagnosis and evidence "
                                   "as plain lines. Keys: h hint, r run again, n next lesson (once solved), q quit. "
                                   "LESSON defaults to the lesson you worked on last.")
    parser.add_argument("lesson", metavar="LESSON", nargs="?", help="lesson id (default: where you left off)")
    parser.set_defaults(handler=run)


def first_lesson(loaded: Course, save: LearnerSave) -> Lesson:
    """Where the learner left off, else the first lesson they have not solved."""
    if save.last_lesson is not None:
        try:
            return loaded.get(save.last_lesson)
        except KeyError:
            pass
    for candidate in loaded.lessons:
        progress = save.lessons.get(candidate.id)
        if progress is None or progress.state is not LessonState.SOLVED:
            return candidate
    return loaded.lessons[0]


def run(args: argparse.Namespace, settings: Settings) -> int:
    lang = settings.language
    store = open_store(settings)
    try:
        save = store.load()
    except SaveError as error:
        raise CommandError(say(error.wording, lang)) from None
    loaded = course(settings)
    if not loaded.lessons:
        raise CommandError(tr("watch.no_lessons", lang))
    chosen = lesson_named(settings, args.lesson) if args.lesson else first_lesson(loaded, save)
    with RunnerSession() as session:
        session.start()
        try:
            Watch(store, loaded, lang, session, console_for()).follow(chosen)
        except SaveError as error:
            raise CommandError(say(error.wording, lang)) from None
    return 0


class Watch:
    """One learner, one lesson at a time: events (saves, keys) come through one queue."""

    def __init__(self, store: ProgressStore, loaded: Course, lang: str, session: RunnerSession,
                 console: Console) -> None:
        self.store, self.course, self.lang, self.session, self.console = store, loaded, lang, session, console
        self.events: queue.Queue[tuple[str, str]] = queue.Queue()
        self.stop = threading.Event()
        self.lesson: Lesson | None = None
        self.path = Path()
        self.last_run: str | None = None  # the block of the last run
        self.passed = False
        self.asked_direct = False  # h once more shows the direct hint
        self.opened_at = time.monotonic()

    def follow(self, first: Lesson) -> None:
        self.open(first)
        watcher = threading.Thread(target=self._watch_files, daemon=True)
        watcher.start()
        try:
            with _single_keys():
                threading.Thread(target=self._read_keys, daemon=True).start()
                self.run_check()
                self._loop()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop.set()
            self._leave()
            self.console.print(tr("watch.bye", self.lang))

    # --- one lesson ---

    def open(self, chosen: Lesson) -> None:
        self.lesson = chosen
        save = self.store.record_opened(chosen.id)
        path, _ = open_block_file(self.store, save, chosen.id, chosen.code.starter)
        self.path = path.resolve()  # watchfiles reports absolute, resolved paths
        self.last_run, self.asked_direct, self.opened_at = None, False, time.monotonic()
        progress = save.lessons[chosen.id]
        self.passed = progress.state is LessonState.SOLVED
        place = tr("ui.lesson.place", self.lang, number=self.course.lessons.index(chosen) + 1,
                   total=len(self.course.lessons))
        self.console.print(Text(f"\n{chosen.title.get(self.lang)} ({chosen.id}, {place})", style="bold"))
        self.console.print(Text(chosen.story.symptom.get(self.lang).strip()))
        self.console.print(Text(tr("watch.file", self.lang, path=str(self.path)), style="bold"))
        self.console.print(tr("watch.keys", self.lang))
        if progress.hint_rung:
            self.console.print(hint_lines(chosen, progress.hint_rung, self.lang))

    def _leave(self) -> None:
        if self.lesson is not None:
            self.store.add_time(self.lesson.id, round(time.monotonic() - self.opened_at, 1))

    def run_check(self) -> None:
        assert self.lesson is not None
        block = read_block(self.path)
        self.console.print(tr("watch.running", self.lang, time=time.strftime("%H:%M:%S")))
        result = BlockRun(self.lesson, block, session=self.session).wait()
        self.last_run = block
        self.store.record_run(self.lesson.id, block, result)
        self.passed = self.passed or result.passed
        self.show(result)

    def show(self, result: RunResult) -> None:
        status = tr(f"status.{result.status.value}", self.lang)
        mark = "✓" if result.passed else "✗"
        verdict = verdict_text(result, self.lang)
        self.console.print(Text.assemble((f"{mark} {status}: ", "bold"), verdict))
        note = runner_note(result, self.lang)
        if note:
            self.console.print(Text(note, style="dim"))
        for table in (diagnosis_card(result.diagnosis, self.lang, verdict) if result.diagnosis else None,
                      evidence_table(result, self.lang), gradients_table(result, self.lang)):
            if table is not None:
                self.console.print(table)
        if result.passed:
            following = self.course.neighbour(result.lesson, 1)
            self.console.print(tr("ui.solved.next", self.lang, title=following.title.get(self.lang))
                               if following else tr("watch.last", self.lang))

    # --- events ---

    def _loop(self) -> None:
        while True:
            kind, value = self.events.get()
            if kind == SAVED:
                if Path(value).resolve() == self.path and self.path.is_file() and read_block(self.path) != self.last_run:
                    self.run_check()
            elif not self.key(value):
                return

    def key(self, pressed: str) -> bool:
        """Act on one key; False to quit."""
        pressed = pressed.lower()
        asked, self.asked_direct = self.asked_direct, False
        if pressed == "q":
            return False
        if pressed == "r":
            self.run_check()
        elif pressed == "h":
            self.hint(confirmed=asked)
        elif pressed == "n":
            self.next_lesson()
        elif pressed.strip():
            self.console.print(tr("watch.keys", self.lang))
        return True

    def hint(self, confirmed: bool) -> None:
        assert self.lesson is not None
        progress = self.store.peek().lessons.get(self.lesson.id)
        reached = progress.hint_rung if progress else 0
        if reached >= MAX_HINT_RUNG:
            self.console.print(hint_lines(self.lesson, reached, self.lang))
            return
        if reached + 1 == MAX_HINT_RUNG and not confirmed:
            self.asked_direct = True
            self.console.print(tr("watch.direct_question", self.lang))
            return
        self.store.record_hint(self.lesson.id, reached + 1)
        self.console.print(hint_lines(self.lesson, reached + 1, self.lang))

    def next_lesson(self) -> None:
        assert self.lesson is not None
        following = self.course.neighbour(self.lesson.id, 1)
        if not self.passed:
            self.console.print(tr("watch.not_yet", self.lang))
        elif following is None:
            self.console.print(tr("watch.last", self.lang))
        else:
            self._leave()
            self.open(following)
            self.run_check()

    # --- the two sources of events ---

    def _watch_files(self) -> None:
        from watchfiles import watch  # only this command needs it: every other one starts without it

        folder = self.path.parent
        for changes in watch(folder, stop_event=self.stop, debounce=DEBOUNCE_MS, step=50):
            for path in sorted({changed for _, changed in changes}):
                self.events.put((SAVED, path))

    def _read_keys(self) -> None:
        """Single keys from a terminal; from a pipe, the first character of each line."""
        if sys.stdin.isatty():
            while (char := os.read(sys.stdin.fileno(), 1).decode("utf-8", "replace")):
                self.events.put((KEY, char))
        else:
            for line in sys.stdin:
                self.events.put((KEY, line[:1]))


@contextmanager
def _single_keys() -> Iterator[None]:
    """cbreak mode while watching, so a key acts without Enter; the terminal is restored after."""
    if not sys.stdin.isatty():
        yield
        return
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
