"""`minigpt-tutor`: the tutor with no arguments, a sub-command otherwise.

Each sub-command lives in `tutor/commands/<name>.py` with `register(subparsers)` and a
handler that takes the parsed arguments and the resolved `Settings`; none of them imports
torch or textual. The two Textual apps, the tutor and the teacher's `class` view, are
started here. The root options (`--lang`, `--learner`, `--saves-dir`, `--lessons-dir`)
may stand before or after the command.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from rich.text import Text

from tutor.commands import check, diagnose, lessons, validate
from tutor.commands import progress, report
from tutor.commands import compare, experiment, graph
from tutor.commands import bench
from tutor.commands import explain, run
from tutor.commands import hint, watch
from tutor.commands.common import CommandError
from tutor.core.crashlog import write_crash_log
from tutor.core.i18n import say
from tutor.core.learners import LearnerNameError
from tutor.core.settings import Settings, error_language
from tutor.present.console import console_for, print_error

COMMANDS = (lessons, hint, watch, check, diagnose, explain, run, validate, progress, report, graph, compare, experiment,
            bench)


def add_root_options(parser: argparse.ArgumentParser, default: object) -> None:
    parser.add_argument("--lang", default=default,
                        help="language of the tutor's text: en or es (default: the learner's last choice, then "
                        "MINIGPT_TUTOR_LANG, then the locale)")
    parser.add_argument("--learner", metavar="NAME", default=default,
                        help="whose progress to use (default: MINIGPT_TUTOR_LEARNER, then the login name)")
    parser.add_argument("--saves-dir", metavar="DIR", default=default,
                        help="folder of progress files (default: MINIGPT_TUTOR_SAVES, then saves/ in a checkout)")
    parser.add_argument("--lessons-dir", metavar="DIR", default=default,
                        help="folder of lesson files (default: MINIGPT_TUTOR_LESSONS, then the shipped course)")


def register_class_view(subparsers: argparse._SubParsersAction) -> None:
    """`class`: the teacher's live view. A Textual app, so it is started here, not in tutor.commands."""
    parser = subparsers.add_parser("class", help="the class live, for the teacher: who is stuck right now",
                                   description="Watch every learner's save in the saves folder and show, live, "
                                   "where each learner is and how stuck, the most stuck first (? explains the "
                                   "stuck score). Reads the saves only.")
    parser.set_defaults(handler=run_class_view)


def run_class_view(args: argparse.Namespace, settings: Settings) -> int:
    from tutor.ui.classview import run_class_view  # textual is imported only for the views themselves

    return run_class_view(settings)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minigpt-tutor",
        description="A terminal tutor that teaches PyTorch by breaking a small GPT on purpose.",
    )
    add_root_options(parser, None)
    parser.add_argument("--lesson", metavar="ID", help="open this lesson directly")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    register_class_view(subparsers)
    for subparser in subparsers.choices.values():
        add_root_options(subparser, argparse.SUPPRESS)  # after the command, a root option overrides one before it
    return parser


def command_parser(parser: argparse.ArgumentParser, command: str | None) -> argparse.ArgumentParser:
    """The sub-command's parser (the root parser when no command was given)."""
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return action.choices[command]
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # the command's own usage, not the root's, names what it takes
        command_parser(parser, args.command).error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        settings = Settings.resolve(learner=args.learner, saves_dir=args.saves_dir, language=args.lang,
                                    lessons=args.lessons_dir)
    except LearnerNameError as error:
        print_error(say(error.wording, error_language(args.lang)))
        return 2
    except ValueError as error:  # an unknown language
        print_error(str(error))
        return 2
    if args.command is None:
        from tutor.ui.app import run_tutor  # textual is imported only for the tutor itself

        return run_tutor(settings, args.lesson)
    try:
        return args.handler(args, settings)
    except CommandError as error:
        print_error(str(error))
        return 2
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as Unix tools do. Python would
        # complain again while flushing stdout at exit, so point it at /dev/null.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1  # as Rich does when its own console meets a closed pipe
    except KeyboardInterrupt:
        return 130  # Ctrl+C: the shell's status for SIGINT, no traceback
    except Exception as error:  # a bug of the tutor's: a short message, the traceback in a log
        log = write_crash_log(error)
        console_for(sys.stderr).print(Text.assemble(("internal error: ", "bold red"),
                                                    f"{type(error).__name__}: {error}. The full report is in {log}."))
        return 70  # EX_SOFTWARE


if __name__ == "__main__":
    sys.exit(main())
