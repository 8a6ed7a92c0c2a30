"""`minigpt-tutor validate`: prove every claim of every lesson on real torch."""

from __future__ import annotations

import argparse
import json
import os

from rich.table import Table

from tutor.commands.common import course
from tutor.core.i18n import tr
from tutor.core.settings import Settings
from tutor.core.validate import topics_claim, validate_course
from tutor.present.console import console_for


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("validate", help="check that every lesson does what it claims",
                                   description="Run every lesson's starter, fixes and wrong fixes. Exit code: 0 when "
                                   "every claim holds, 1 naming the lessons and claims that do not.")
    parser.add_argument("lessons", nargs="*", metavar="LESSON", help="only these lessons (default: all)")
    parser.add_argument("--json", action="store_true", help="print the claims as one JSON object")
    parser.add_argument("--seeds", type=number_list, default=[None], metavar="LIST",
                        help="run every claim at these seeds, e.g. 0-4 or 0,3 (default: each lesson's own)")
    parser.add_argument("--threads", type=number_list, default=[1], metavar="LIST",
                        help="and with these torch thread counts, e.g. 1,2 (default: 1, as a learner's run)")
    parser.set_defaults(handler=run)


def number_list(text: str) -> list[int]:
    """`0-4` or `0,2,3`: the seeds or thread counts to run every claim at."""
    try:
        if "-" in text:
            first, last = (int(part) for part in text.split("-", 1))
            numbers = list(range(first, last + 1))
        else:
            numbers = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list like 0-4 or 1,2") from None
    if not numbers or min(numbers) < 0:
        raise argparse.ArgumentTypeError(f"{text!r} names no number, or a negative one")
    return numbers


def run(args: argparse.Namespace, settings: Settings) -> int:
    loaded = course(settings)
    chosen = [loaded.get(i) for i in args.lessons] if args.lessons else loaded.lessons
    claims = [topics_claim(loaded.topics)] if loaded.topics else []
    claims += validate_course(chosen, seeds=args.seeds, threads=args.threads)
    problems = [str(p) for p in loaded.problems]
    ok = not problems and all(c.ok for c in claims)
    if args.json:
        print(json.dumps({"ok": ok, "lessons": len(chosen), "problems": problems,
                          "capability": os.environ.get("ATEN_CPU_CAPABILITY") or "native",
                          "seeds": args.seeds, "threads": args.threads,
                          "claims": [c.__dict__ for c in claims]}, ensure_ascii=False))
        return 0 if ok else 1
    lang = settings.language
    table = Table(title=tr("validate.title", lang, lessons=len(chosen), claims=len(claims)))
    for header in ("lesson", "claim", "result", "detail"):
        table.add_column(tr(f"validate.{header}", lang))
    for c in claims:
        where = "" if c.seed is None and c.threads == 1 else f" (seed {'-' if c.seed is None else c.seed}, {c.threads}t)"
        table.add_row(c.lesson, c.name + where, "[green]ok[/]" if c.ok else "[red]FAILED[/]", c.detail)
    console = console_for()
    console.print(table)
    for problem in problems:
        console.print(f"[red]{tr('list.problem', lang)}[/] {problem}")
    return 0 if ok else 1
