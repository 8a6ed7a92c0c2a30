"""`minigpt-tutor check LESSON FILE`: run a learner's block and judge it."""

from __future__ import annotations

import argparse

from tutor.commands.common import CommandError, console_for, language, lesson, read_bytes_file
from tutor.commands.render import result_panel
from tutor.core.runner import RunLimits, run_block


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="run a learner's block for a lesson and judge it",
                                   description="Run FILE (your version of the lesson's block) in a sandbox and "
                                   "judge it. Exit code: 0 passed, 1 not passed, 2 usage or input error.")
    parser.add_argument("lesson", metavar="LESSON", help="lesson id, e.g. inplace-residual")
    parser.add_argument("file", metavar="FILE", help="the block to check")
    parser.add_argument("--json", action="store_true", help="print one JSON object (the check contract)")
    parser.add_argument("--detect-anomaly", action="store_true", help="run with torch.autograd.set_detect_anomaly(True)")
    parser.add_argument("--timeout", type=float, default=RunLimits.timeout_s, metavar="S",
                        help=f"wall-clock limit in seconds (default {RunLimits.timeout_s:g})")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.timeout <= 0:
        raise CommandError("--timeout must be a positive number of seconds")
    chosen = lesson(args.lesson)
    block = read_bytes_file(args.file)
    lang = language(args)
    result = run_block(chosen, block, detect_anomaly=args.detect_anomaly,
                       limits=RunLimits(timeout_s=args.timeout), language=lang)
    if args.json:
        print(result.contract_json())
    else:
        console_for().print(result_panel(result, lang))
    return 0 if result.passed else 1
