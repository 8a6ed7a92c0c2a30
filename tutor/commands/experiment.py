"""`minigpt-tutor experiment` and `minigpt-tutor grad-compare`: the seed's A/B reproducer.

`experiment` trains the mini-GPT in a sandboxed child with one variant of a lesson's
block (the control, the break, or a learner's file) and keeps what happened in a folder;
`grad-compare` sets two such folders side by side. Neither imports torch.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tutor.commands.common import CommandError, lesson, read_bytes_file
from tutor.core.diagnose import diagnose
from tutor.core.experiment import (CHILD_OUTCOME, EXPERIMENT_JOB, KEPT_FILES, LOSSES, OUTCOME, PROGRESS, STDERR,
                                   ChildOutcome,
                                   ExperimentError, ExperimentJob, ExperimentOutcome, compare_gradients, final_loss,
                                   load_experiment)
from tutor.core.i18n import tr
from tutor.core.job import BLOCK_FILENAME
from tutor.core.launch import sandbox_environment
from tutor.core.lessons import Lesson
from tutor.core.runner import RunLimits, check_timeout
from tutor.core.settings import Settings
from tutor.present.compare import comparison_report
from tutor.present.console import console_for
from tutor.present.diagnosis import diagnosis_card

DEFAULT_STEPS = 300
DEFAULT_TIMEOUT_S = 300.0
POLL_S = 0.1


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
        check_timeout(args.timeout)
    except ValueError as error:
        raise CommandError(f"--timeout: {error}") from None
    chosen = lesson(settings, args.lesson)
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
                        memory_mb=RunLimits.memory_mb)
    scratch = Path(tempfile.mkdtemp(prefix="minigpt-tutor-experiment-"))
    try:
        outcome = train_in(scratch, job, block, args.variant, args.timeout, lang)
        keep(scratch, out, outcome)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print_outcome(outcome, out, lang)
    return 0 if outcome.status == "finished" else 1


def variant_block(chosen: Lesson, variant: str) -> bytes | None:
    """The block that replaces the target: None for the control, the starter for the break."""
    if variant == "control":
        return None
    if variant == "break":
        return chosen.code.starter.encode("utf-8")
    return read_bytes_file(variant)


def train_in(scratch: Path, job: ExperimentJob, block: bytes | None, variant: str, timeout_s: float,
             lang: str) -> ExperimentOutcome:
    (scratch / EXPERIMENT_JOB).write_text(job.model_dump_json(), encoding="utf-8")
    if block is not None:
        (scratch / BLOCK_FILENAME).write_bytes(block)
    # The block's prints are not part of an experiment; its stderr (torch's error) goes to a
    # file the child's file-size limit keeps small.
    with (scratch / STDERR).open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-I", "-B", "-X", "utf8", "-m", "tutor.sandbox.experiment", str(scratch)],
            cwd=scratch, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr,
            env=sandbox_environment(), start_new_session=True,  # its own group: one kill ends all it started
        )
    try:
        finished = follow(process, scratch / PROGRESS, job.steps, timeout_s, lang)
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # the group is already gone
        process.wait()
    with (scratch / STDERR).open("rb") as written:
        written.seek(max(0, written.seek(0, os.SEEK_END) - RunLimits.output_bytes))
        tail = written.read().decode("utf-8", "replace")
    return outcome_of(scratch, job, variant, finished, tail)


def follow(process: subprocess.Popen[bytes], progress_file: Path, steps: int, timeout_s: float, lang: str) -> bool:
    """Show the child's progress until it exits (True) or runs out of time (False)."""
    started = time.monotonic()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[loss]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console_for(), transient=False) as progress:
        task = progress.add_task(tr("experiment.training", lang), total=steps, loss="")
        while True:
            exited = process.poll() is not None
            done, loss = read_progress(progress_file)
            progress.update(task, completed=done, loss=tr("experiment.loss", lang, loss=loss) if loss else "")
            if exited:
                return True
            if time.monotonic() - started > timeout_s:
                return False
            time.sleep(POLL_S)


def read_progress(path: Path) -> tuple[int, str | None]:
    """Steps done and the last loss, from the child's "step loss" lines."""
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except OSError:
        return 0, None
    complete = [line.split() for line in lines[:-1] if len(line.split()) == 2]  # the last line may be half-written
    if not complete:
        return 0, None
    step, loss = complete[-1]
    return int(step), f"{float(loss):.4f}"


def outcome_of(scratch: Path, job: ExperimentJob, variant: str, finished: bool, stderr: str) -> ExperimentOutcome:
    losses = json.loads((scratch / LOSSES).read_text(encoding="utf-8")) if (scratch / LOSSES).is_file() else []
    common = dict(lesson=job.lesson, variant=variant, steps=job.steps, seed=job.seed, detect_anomaly=job.detect_anomaly,
                  steps_done=len(losses), final_loss=final_loss(losses))
    report = scratch / CHILD_OUTCOME
    if not finished:
        return ExperimentOutcome(status="timeout", **common)
    if not report.is_file():
        return ExperimentOutcome(status="crashed", error=stderr.strip()[-2000:] or None, **common)
    child = ChildOutcome.model_validate_json(report.read_text(encoding="utf-8"))
    if child.status == "raised":
        diagnosis = diagnose(stderr)
        return ExperimentOutcome(status="raised", phase=child.phase, exception=child.exception,
                                 error=diagnosis.message, diagnosis=diagnosis, parameters=child.parameters, **common)
    return ExperimentOutcome(status=child.status, error=child.detail, parameters=child.parameters, **common)


def keep(scratch: Path, out: Path, outcome: ExperimentOutcome) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in KEPT_FILES:
        stale = out / name
        if (scratch / name).is_file():
            shutil.copyfile(scratch / name, stale)
        elif stale.exists():
            stale.unlink()  # left by an earlier experiment in the same folder
    if not (out / LOSSES).is_file():
        (out / LOSSES).write_text("[]", encoding="utf-8")
    (out / OUTCOME).write_text(outcome.model_dump_json(indent=2), encoding="utf-8")


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
