"""`minigpt-tutor report`: the teacher's view of a class's saves folder (tutor/core/classreport.py).

The table is for people (tutor/present/report.py); `--format json|csv` is data with
stable English keys. `--verify` re-runs each solve's kept block in the sandbox first.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys

from tutor.commands.common import CommandError, course
from tutor.core.classreport import CSV_FIELDS, as_data, build_report, csv_rows, solves, verify
from tutor.core.i18n import tr
from tutor.core.runner import run_block
from tutor.core.settings import Settings
from tutor.core.warm import RunnerSession
from tutor.present.console import console_for
from tutor.present.report import print_tables

FORMATS = ("table", "csv", "json")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report", help="the class's progress, for the teacher",
                                   description="Read every learner's save in the saves folder and print learners x "
                                   "lessons and a per-lesson summary.")
    parser.add_argument("--format", choices=FORMATS, default="table", help="table (default), csv or json")
    parser.add_argument("--verify", action="store_true",
                        help="re-run the block each solve was saved with, in the sandbox, and mark each solve "
                        "verified, not reproduced or without a block")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    lang = settings.language
    saves_dir = settings.saves_dir
    the_course = course(settings)
    try:
        report = build_report(saves_dir, the_course)
    except FileNotFoundError:
        raise CommandError(tr("report.no_folder", lang, folder=str(saves_dir))) from None
    except OSError as error:
        raise CommandError(tr("report.folder_error", lang, folder=str(saves_dir), detail=error.strerror)) from None
    if args.verify:
        blocks = sum(block is not None for _, _, block in solves(report))
        console_for(sys.stderr).print(tr("report.verifying", lang, blocks=blocks))
        with RunnerSession() as session:
            verify(report, the_course, lambda lesson_id, block: run_block(the_course.get(lesson_id), block,
                                                                          session=session))
    if args.format == "json":
        print(json.dumps(as_data(report), ensure_ascii=False, indent=2))
    elif args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(csv_rows(report))
    else:
        print_tables(report, lang)
    return 0
