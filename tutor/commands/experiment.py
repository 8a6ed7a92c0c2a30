"""`minigpt-tutor experiment` and `minigpt-tutor grad-compare`: the seed's A/B reproducer.

`experiment` trains the mini-GPT in the sandbox, as a check runs, with one variant of a lesson's
block (the control, the break, or a learner's file) and keeps what happened in a folder;
`grad-compare` sets two such folders side by side. Neither imports torch.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tutor.commands.common import CommandError, lesson_named, read_bytes_file
from tutor.core.experiment import ExperimentError, ExperimentOutcome, ExperimentRun, compare_gradients, load_experiment
from tutor.core.i18n import tr
from tutor.core.job import ExperimentJob
from tutor.core.launch import RunnerUnavailable
from tutor.core.lessons import Lesson
from tutor.core.runner import RunLimits
from tutor.core.settings import Settings
from tutor.present.compare import comparison_report
from tutor.present.console import console_for
from tutor.present.diagnosis import diagnosis_card

DEFAULT_STEPS = 300
DEFAULT_TIMEOUT_S = 300.0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("experiment", help="train the mini-GPT with a variant of a lesson's block",
                                   description="Train the mini-GPT for N steps (AdamW, the shipped corpus) in a sandbox "
                                   "with the lesson's control, its break (the starter) or your FILE in place of the "
                                   "lesson's target, and save the loss history, the last gradients and what happened "
                                   "to DIR. Exit code: 0 it trained to the end, 1 it did not, 2 usage or input error.")
    parser.add_argument("lesson", metavar="LESSON", help="lesson id, e.g. inplace-residual")
    parser.add_argument("--variant", required=True, metavar="control|break|FILE",
                        help="minigpt's own code, the lesson's starter, or a block of yours")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder for outcome.json, losses.json, gradients.npz")
    parser.add_argument("--force", action="store_true", help="write into DIR even if it already holds files")
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, metavar="N", help=f"(default {DEFAULT_STEPS})")
    parser.add_argument("--seed", type=int, metavar="S", help="seed of the weights and batches (default: the lesson's)")
    parser.add_argument("--detect-anomaly", action="store_true", help="train under torch.autograd.set_detect_anomaly(True)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="S",
                        help=f"wall-clock limit in seconds (default {DEFAULT_TIMEOUT_S:g})")
    parser.set_defaults(handler=run_experiment)

    compare = subparsers.add_parser("grad-compare", help="compare the gradients and losses of two experiments",
                                    description="Compare the experiment in DIR_B with the one in DIR_A: each "
                                    "parameter's last gradient, and both loss curves. Exit code: 0 the gradients "
                                    "match, 1 they do not, 2 usage or input error.")
    compare.add_argument("a", metavar="DIR_A", help="the reference, e.g. the control's experiment")
    compare.add_argument("b", metavar="DIR_B")
    compare.add_argument("--at", choices=("first", "last"), default="first",
                         help="compare the gradients of the first step (same weights, same batch: the default) "
                         "or of the last step each experiment reached")
    compare.add_argument("--json", action="store_true", help="print the comparison as JSON")
    compare.set_defaults(handler=run_grad_compare)


def run_experiment(args: argparse.Namespace, settings: Settings) -> int:
    if args.steps < 1:
        raise CommandError("--steps must be at least 1")
    try:
        limits = RunLimits(timeout_s=args.timeout)
    except ValueError as error:
        raise CommandError(f"--timeout: {error}") from None
    chosen = lesson_named(settings, args.lesson)
    block = variant_block(chosen, args.variant)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise CommandError(f"{out}: exists and is not a folder")
    lang = settings.language
    if out.is_dir() and any(out.iterdir()) and not args.force:
        raise CommandError(tr("experiment.out_not_empty", lang, folder=str(out)))
    job = ExperimentJob(lesson=chosen.id, target=chosen.target, replace_target=block is not None, steps=args.steps,
                        seed=args.seed if args.seed is not None else chosen.check.settings.get("seed", 0),
                        n_layer=chosen.check.settings.get("n_layer", 1), detect_anomaly=args.detect_anomaly,
                        memory_mb=limits.memory_mb)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[loss]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console_for(), transient=False) as shown:
        task = shown.add_task(tr("experiment.training", lang), total=args.steps, loss="")

        def progress(done: int, loss: float | None) -> None:
            said = "" if loss is None else tr("experiment.loss", lang, loss=f"{loss:.4f}")
            shown.update(task, completed=done, loss=said)

        try:
            outcome = ExperimentRun(job, block, args.variant, out, limits=limits, progress=progress).wait()
        except RunnerUnavailable as unavailable:
            why = tr(f"runner.fallback.{unavailable.reason}", lang)
            raise CommandError(tr("verdict.no_runner", lang, why=why)) from None
        except OSError as error:
            raise CommandError(f"the experiment could not be run: {error}") from None
    print_outcome(outcome, out, lang)
    return 0 if outcome.status == "finished" else 1


def variant_block(chosen: Lesson, variant: str) -> bytes | None:
    """The block that replaces the target: None for the control, the starter for the break."""
    if variant == "control":
        return None
    if variant == "break":
        return chosen.code.starter.encode("utf-8")
    return read_bytes_file(variant)


def print_outcome(outcome: ExperimentOutcome, out: Path, lang: str) -> None:
    console = console_for()
    lines = [tr(f"experiment.status.{outcome.status}", lang, done=outcome.steps_done, steps=outcome.steps,
                phase=tr(f"phase.{outcome.phase}", lang) if outcome.phase else "", detail=outcome.error or "")]
    if outcome.final_loss is not None:
        lines.append(tr("experiment.final_loss", lang, loss=f"{outcome.final_loss:.4f}"))
    console.print("\n".join(lines))
    if outcome.diagnosis is not None:
        console.print(diagnosis_card(outcome.diagnosis, lang))
    console.print(tr("experiment.saved", lang, folder=str(out)))


def run_grad_compare(args: argparse.Namespace, settings: Settings) -> int:
    lang = settings.language
    try:
        a, b = load_experiment(Path(args.a)), load_experiment(Path(args.b))
    except ExperimentError as error:
        raise CommandError(str(error)) from None
    rows = compare_gradients(a, b, first_step=args.at == "first")
    if args.json:
        print(json.dumps({"a": {**a.outcome.model_dump(mode="json"), "losses": a.losses},
                          "b": {**b.outcome.model_dump(mode="json"), "losses": b.losses},
                          "at": args.at, "gradients": [row.model_dump() for row in rows]}, ensure_ascii=False))
    else:
        console = console_for()
        for name, experiment in (("A", a), ("B", b)):
            outcome = experiment.outcome
            console.print(tr("experiment.side", lang, side=name, folder=str(experiment.folder),
                             variant=outcome.variant, status=tr(f"experiment.short.{outcome.status}", lang),
                             done=outcome.steps_done, steps=outcome.steps,
                             loss="-" if outcome.final_loss is None else f"{outcome.final_loss:.4f}"))
        title = tr(f"experiment.compare_title.{args.at}", lang, a=args.a, b=args.b)
        console.print(comparison_report(rows, {f"A {args.a}": a.losses, f"B {args.b}": b.losses}, lang, title))
    return 0 if rows and all(row.matches for row in rows) else 1
