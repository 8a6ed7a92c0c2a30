"""`minigpt-tutor list` and `minigpt-tutor show LESSON`."""

from __future__ import annotations

import argparse
import json
import sys

from rich.markdown import Markdown
from rich.rule import Rule
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from tutor.commands.common import course, lesson_named, open_store, solved
from tutor.core.i18n import say, tr
from tutor.core.place import Place, place_in
from tutor.core.progress import LearnerSave, LessonState, SaveError
from tutor.core.settings import Settings
from tutor.present.console import console_for, print_notice
from tutor.present.progress import LESSON_STATE_MARK, NEXT_MARK, NEXT_STYLE, next_step, state_mark, topic_heading

STORY_SECTIONS = ("symptom", "mechanism", "why", "ladder", "fix", "safe", "not_this")


def register(subparsers: argparse._SubParsersAction) -> None:
    listing = subparsers.add_parser("list", help="list the course's lessons by topic, with your progress",
                                    description="List the topics in learning order, each with what it teaches and "
                                    "how much of it the learner solved, and under each its lessons in course order "
                                    "with the learner's marks; the lesson to take next is marked.")
    listing.add_argument("--json", action="store_true", help="print the lessons as a JSON array, in course order")
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
    store = open_store(settings)
    try:
        save = store.peek()
    except SaveError as error:  # the course is still listed, without this learner's marks
        print_notice(say(error.wording, lang))
        save = LearnerSave(learner=store.learner)
    for notice in store.notices:
        print_notice(say(notice, lang))
    place = place_in(loaded, save)
    if args.json:
        print(json.dumps(list_rows(place, save, lang), ensure_ascii=False))
    else:
        print_map(place, save, lang)
    for problem in loaded.problems:
        console_for(sys.stderr).print(f"[yellow]{tr('list.problem', lang)}[/] {problem}", highlight=False)
    return 0


def list_rows(place: Place, save: LearnerSave, lang: str) -> list[dict[str, object]]:
    """`list --json`: one object per lesson in course order (id, title, topic and order came first)."""
    lessons = [(section, lesson) for section in place.topics for lesson in section.lessons]
    return [{"id": lesson.id, "title": lesson.title.get(lang), "topic": lesson.topic, "order": lesson.order,
             "position": position, "topic_title": section.topic.title.get(lang),
             "topic_teaches": section.topic.teaches.get(lang), "state": save.state(lesson.id).value,
             "next": place.is_next(lesson)}
            for position, (section, lesson) in enumerate(lessons, start=1)]


def print_map(place: Place, save: LearnerSave, lang: str) -> None:
    """The learner's place and the lesson to take next; then topic by topic, what it teaches and how
    much is solved, and its lessons: the mark, the place in the course, the id (never cut: it is
    what one types) and the title."""
    console = console_for()
    console.print(Text.assemble((tr("list.title", lang), "bold"), " · ",
                                tr("list.learner", lang, learner=save.learner, solved=place.solved, total=place.total)))
    console.print(next_step(place, lang, with_id=True))
    lessons = [lesson for section in place.topics for lesson in section.lessons]
    positions = {lesson.id: number for number, lesson in enumerate(lessons, start=1)}
    for section in place.topics:
        rows = Table.grid(padding=(0, 1))
        rows.add_column(width=1)  # the next lesson's mark
        rows.add_column(width=1)  # the state's mark
        rows.add_column(width=len(str(len(lessons))), justify="right")
        rows.add_column(width=max(len(lesson.id) for lesson in lessons), no_wrap=True)
        rows.add_column(overflow="fold")
        for lesson in section.lessons:
            is_next = place.is_next(lesson)
            rows.add_row(NEXT_MARK if is_next else "", state_mark(save.state(lesson.id)), str(positions[lesson.id]),
                         lesson.id, Text(lesson.title.get(lang), style=NEXT_STYLE if is_next else ""))
        console.print()
        console.print(topic_heading(section, lang))
        console.print(rows)
    if place.topics:
        legend = [f"{LESSON_STATE_MARK[state]} {tr(f'progress.state.{state.value}', lang)}" for state in LessonState]
        console.print()
        console.print("  ".join([*legend, f"{NEXT_MARK} {tr('list.next', lang)}"]), style="dim", highlight=False)


def run_show(args: argparse.Namespace, settings: Settings) -> int:
    chosen = lesson_named(settings, args.lesson)
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
