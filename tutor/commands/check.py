"""`minigpt-tutor check LESSON FILE`: run a learner's block and judge it."""

from __future__ import annotations

import argparse
import json

from tutor.commands.common import add_block_arguments, run_learner_block
from tutor.core.settings import Settings
from tutor.core.symptoms import recognised_wrong_fix
from tutor.present.console import console_for
from tutor.present.diagnosis import contract, result_panel


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="run a learner's block for a lesson and judge it",
                                   description="Run FILE (your version of the lesson's block) in a sandbox and "
                                   "judge it. Exit code: 0 passed, 1 not passed, 2 usage or input error.")
    add_block_arguments(parser, "the block to check", "print one JSON object (the check contract)")
    parser.add_argument("--detect-anomaly", action="store_true", help="run with torch.autograd.set_detect_anomaly(True)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    lang = settings.language
    lesson, result = run_learner_block(args, settings, detect_anomaly=args.detect_anomaly)
    wrong = recognised_wrong_fix(lesson, result)
    if args.json:
        report = contract(result, lang)
        report["wrong_fix"] = None if wrong is None else {"index": lesson.wrong_fixes.index(wrong),
                                                           "why": wrong.why.get(lang)}
        print(json.dumps(report, ensure_ascii=False))
    else:
        console_for().print(result_panel(result, lang, None if wrong is None else wrong.why.get(lang)))
    return 0 if result.passed else 1
