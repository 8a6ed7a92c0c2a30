"""`minigpt-tutor hint LESSON`: the next rung of a lesson's hints, recorded as the tutor's `h` records it."""

from __future__ import annotations

import argparse

from tutor.commands.common import CommandError, confirmed, lesson_named, open_store
from tutor.core.i18n import say, tr
from tutor.core.lessons import Lesson
from tutor.core.progress import MAX_HINT_RUNG, ProgressStore, SaveError
from tutor.core.settings import Settings
from tutor.present.console import console_for
from tutor.present.hints import hint_lines


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("hint", help="reveal a lesson's next hint",
                                   description="Print the hints revealed so far and the next one (mild, medium, "
                                   "direct), and record it in your progress. The direct hint gives the fix away: "
                                   "it asks first, unless --yes is given. Exit code: 0 shown, 1 declined.")
    parser.add_argument("lesson", metavar="LESSON", help="lesson id, e.g. inplace-residual")
    parser.add_argument("--yes", "-y", action="store_true", help="do not ask before the direct hint")
    parser.set_defaults(handler=run)


def reveal_next(store: ProgressStore, chosen: Lesson) -> int:
    """Record the next rung (at most the direct one) and return the rung now reached."""
    current = store.peek().lessons.get(chosen.id)
    rung = min((current.hint_rung if current else 0) + 1, MAX_HINT_RUNG)
    store.record_hint(chosen.id, rung)
    return rung


def run(args: argparse.Namespace, settings: Settings) -> int:
    lang = settings.language
    chosen = lesson_named(settings, args.lesson)
    store = open_store(settings)
    console = console_for()
    try:
        current = store.peek().lessons.get(chosen.id)
        reached = current.hint_rung if current else 0
        if reached + 1 == MAX_HINT_RUNG and not args.yes and not confirmed(tr("ui.confirm.direct_hint", lang), lang):
            console.print(tr("hint.declined", lang))
            return 1
        rung = reveal_next(store, chosen)
    except SaveError as error:
        raise CommandError(say(error.wording, lang)) from None
    console.print(hint_lines(chosen, rung, lang))
    if rung == reached:
        console.print(tr("hint.all_shown", lang))
    return 0
