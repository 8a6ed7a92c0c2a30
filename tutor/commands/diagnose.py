"""`minigpt-tutor diagnose FILE`: read a saved stderr or traceback into a diagnosis."""

from __future__ import annotations

import argparse

from tutor.commands.common import read_bytes_file
from tutor.core.diagnose import diagnose
from tutor.core.results import DiagnosisKind
from tutor.core.settings import Settings
from tutor.present.console import console_for
from tutor.present.diagnosis import diagnosis_card


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("diagnose", help="parse a saved torch error into a diagnosis",
                                   description="Read FILE (stderr or a traceback) and print what torch's error says. "
                                   "Exit code: 0 recognised, 1 unknown, 2 usage or input error.")
    parser.add_argument("file", metavar="FILE")
    parser.add_argument("--json", action="store_true", help="print the diagnosis object as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    text = read_bytes_file(args.file).decode("utf-8", "replace")
    diagnosis = diagnose(text)
    if args.json:
        print(diagnosis.model_dump_json())
    else:
        console_for().print(diagnosis_card(diagnosis, settings.language))
    return 0 if diagnosis.kind is not DiagnosisKind.UNKNOWN else 1
