"""`minigpt-tutor list` and `minigpt-tutor show LESSON`."""

from __future__ import annotations

import argparse
import json
import sys

from rich.markdown import Markdown
from rich.rule import Rule
from rich.syntax import Syntax
from rich.table import Table

from tutor.commands.common import course, lesson, open_store, solved
from tutor.core.i18n import tr
from tutor.core.settings import Settings
from tutor.present.console import console_for

STORY_SECTIONS = ("symptom", "mechanism", "why", "ladder", "fix", "safe", "not_this")


def register(subparsers: argparse._SubParsersAction) -> None:
    listing = subparsers.add_parser("list", help="list the course's lessons", description="List the lessons in course order.")
    listing.add_argument("--json", action="store_true", help="print the lessons as a JSON array")
    listing.set_defaults(handler=run_list)

    show = subparsers.add_parser("show", help="show a lesson's story and starter block",
                                 description="Show a lesson's story. The fix stays hidden until the learner "
                                 "solved the lesson or --solution is given. With --starter, print only the starter "
                                 "block, exactly as the editor holds it, so it can be saved, edited and checked.")
    show.add_argument("lesson", metavar="LESSON")
    show.add_argument("--starter", action="store_true", help="print only the starter block")
    show.add_argument("--solution", action="store_true",
                      help="also print the fix and the reference block (shown anyway once the lesson is solved)")
    show.set_defaults(handler=run_show)


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    lang = settings.language
    loaded = course(settings)
    if args.json:
        rows = [{"id": l.id, "title": l.title.get(lang), "topic": l.topic, "order": l.order} for l in loaded.lessons]
        print(json.dumps(rows, ensure_ascii=False))
    else:
        table = Table(title=tr("list.title", lang), expand=True)
        for header in ("order", "id", "topic", "title_column"):
            # Ids are what one types: never cut or wrapped; the title wraps instead.
            fixed = header in ("order", "id")
            table.add_column(tr(f"list.{header}", lang), no_wrap=fixed,
                             overflow="fold" if header == "title_column" else "ellipsis",
                             ratio=None if fixed else 3 if header == "title_column" else 1)
        for l in loaded.lessons:
            table.add_row(str(l.order), l.id, tr(f"topic.{l.topic}", lang), l.title.get(lang))
        console_for().print(table)
    for problem in loaded.problems:
        console_for(sys.stderr).print(f"[yellow]{tr('list.problem', lang)}[/] {problem}", highlight=False)
    return 0


def run_show(args: argparse.Namespace, settings: Settings) -> int:
    chosen = lesson(settings, args.lesson)
    if args.starter:
        sys.stdout.write(chosen.code.starter)
        return 0
    lang = settings.language
    reveal = args.solution or solved(open_store(settings), chosen.id)
    console = console_for()
    console.print(Rule(chosen.title.get(lang)))
    for section in STORY_SECTIONS:
        if section == "fix" and not reveal:
            console.print(Markdown(f"## {tr('story.fix', lang)}\n\n*{tr('show.fix_hidden', lang, lesson=chosen.id)}*"))
            continue
        console.print(Markdown(f"## {tr(f'story.{section}', lang)}\n\n{getattr(chosen.story, section).get(lang)}"))
    console.print(Markdown(f"## {tr('story.starter', lang)}"))
    console.print(Syntax(chosen.code.starter, "python", line_numbers=True))
    if reveal:
        console.print(Markdown(f"## {tr('story.solution', lang)}"))
        console.print(Syntax(chosen.code.fix, "python", line_numbers=True))
    return 0
