"""`minigpt-tutor`: the tutor with no arguments, a sub-command otherwise.

Each sub-command lives in `tutor/commands/<name>.py` with `register(subparsers)`;
none of them imports torch or textual unless it needs to.
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
from tutor.commands.common import CommandError
from tutor.core.crashlog import write_crash_log
from tutor.present.console import console_for, print_error

COMMANDS = (lessons, check, diagnose, explain, run, validate, progress, report, graph, compare, experiment, bench)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minigpt-tutor",
        description="A terminal tutor that teaches PyTorch by breaking a small GPT on purpose.",
    )
    parser.add_argument("--lang", help="language of the tutor's text: en or es (default: MINIGPT_TUTOR_LANG, then the locale)")
    parser.add_argument("--learner", metavar="NAME", help="whose progress to use (default: MINIGPT_TUTOR_LEARNER, then the login name)")
    parser.add_argument("--saves-dir", metavar="DIR", help="folder of progress files (default: MINIGPT_TUTOR_SAVES, then saves/ in a checkout)")
    parser.add_argument("--lesson", metavar="ID", help="open this lesson directly")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        from tutor.ui.app import run_tutor  # textual is imported only for the tutor itself

        return run_tutor(args)
    try:
        return args.handler(args)
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
