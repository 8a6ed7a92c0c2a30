"""`minigpt-tutor run SCRIPT [ARGS...]`: run the learner's own script, and explain its error."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from tutor.commands.common import CommandError, course
from tutor.core.explain import Explanation, explain_error
from tutor.core.i18n import tr
from tutor.core.results import DiagnosisKind
from tutor.core.script import run_script
from tutor.core.settings import Settings
from tutor.present.console import console_for
from tutor.present.explain import explanation_view, forward_view

_YES = {"y", "yes", "s", "si", "sí"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "run", help="run your own script and explain its torch error",
        description="Run SCRIPT as `python SCRIPT ARGS` would: this Python, this folder, its output as it "
        "comes. If it ends in an error, the explanation is printed under it. On an in-place version error "
        "the script can run again with anomaly detection on, to name the forward line that made the saved "
        "tensor: asked in an interactive terminal, done at once with --rerun, never asked otherwise (the "
        "command to do it is printed). Exit status: the script's.")
    parser.add_argument("--anomaly", action="store_true", help="run with anomaly detection on from the start")
    parser.add_argument("--rerun", action="store_true",
                        help="on an in-place version error, run again with anomaly detection without asking")
    parser.add_argument("script", metavar="SCRIPT", help="your Python script")
    parser.add_argument("args", metavar="ARGS", nargs=argparse.REMAINDER, help="its own arguments")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    lang = settings.language
    if not Path(args.script).is_file():
        raise CommandError(f"{args.script}: no such file")
    result = run_script(args.script, args.args, anomaly=args.anomaly)
    if result.returncode == 0:
        return 0
    explanation = _show(result.stderr, lang, settings)
    if explanation.kind is DiagnosisKind.INPLACE_VERSION and explanation.forward_frame is None and not args.anomaly:
        if args.rerun or _asked(lang):
            _say(tr("run.anomaly_rerun", lang))
            result = run_script(args.script, args.args, anomaly=True)
            if result.returncode != 0:
                _show_rerun(result.stderr, lang, settings)
        else:
            command = shlex.join(["minigpt-tutor", "run", "--anomaly", args.script, *args.args])
            _say(tr("run.anomaly_hint", lang, command=command))
    return result.returncode if result.returncode >= 0 else 128 - result.returncode  # killed by a signal


def _show(stderr: str, lang: str, settings: Settings) -> Explanation:
    explanation = explain_error(stderr, course(settings))
    if explanation.found:
        console_for(sys.stderr).print(explanation_view(explanation, lang))
    return explanation


def _show_rerun(stderr: str, lang: str, settings: Settings) -> None:
    """The forward line anomaly mode names; the whole explanation if the script now fails otherwise."""
    explanation = explain_error(stderr, course(settings))
    if explanation.kind is not DiagnosisKind.INPLACE_VERSION:
        _show(stderr, lang, settings)
    elif explanation.forward_frame is None:
        _say(tr("run.no_forward_line", lang))
    else:
        console_for(sys.stderr).print(forward_view(explanation, lang))


def _say(text: str) -> None:
    console_for(sys.stderr).print(text)


def _asked(lang: str) -> bool:
    """Only a person at a terminal is asked; a pipe or a script never waits for an answer."""
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    sys.stderr.write(tr("run.anomaly_offer", lang))  # with the explanation, even when stdout is piped
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in _YES
