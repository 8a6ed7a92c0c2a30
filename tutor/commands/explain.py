"""`minigpt-tutor explain [FILE | -]`: explain a torch error from the learner's own code."""

from __future__ import annotations

import argparse
import json
import sys

from tutor.commands.common import course, read_bytes_file
from tutor.core.explain import explain_error
from tutor.core.i18n import tr
from tutor.core.settings import Settings
from tutor.present.console import console_for
from tutor.present.explain import explanation_view


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "explain", help="explain a torch error from your own code",
        description="Read a traceback from FILE, or from standard input when FILE is - or left out "
        "(python train.py 2>&1 | minigpt-tutor explain -), and say what went wrong, where in your own "
        "code, what to check first and which lessons teach it. Nothing is sent anywhere. "
        "Exit code: 0 recognised, 1 not recognised, 2 usage or input error.")
    parser.add_argument("file", metavar="FILE", nargs="?", default="-", help="a saved traceback, or - for standard input")
    parser.add_argument("--json", action="store_true", help="print the diagnosis, your frame and the lesson ids as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    lang = settings.language
    if args.file == "-":
        if sys.stdin.isatty():
            console_for(sys.stderr).print(tr("explain.stdin_prompt", lang))
        raw = sys.stdin.buffer.read()
    else:
        raw = read_bytes_file(args.file)
    explanation = explain_error(raw.decode("utf-8", "replace"), course(settings))
    if args.json:
        print(json.dumps(explanation.contract(), ensure_ascii=False))
    else:
        console_for().print(explanation_view(explanation, lang))
    return 0 if explanation.recognised else 1
