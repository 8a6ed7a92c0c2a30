"""`minigpt-tutor compare LESSON FILE`: a block's gradients and losses against the control's.

Same seed, same batch: the table gives each parameter's largest absolute and relative
difference (or that it has no gradient at all), and for lessons that train, the two loss
curves are drawn in the terminal.
"""

from __future__ import annotations

import argparse
import json
import math

from tutor.commands.common import add_block_arguments, run_learner_block
from tutor.core.i18n import tr
from tutor.core.settings import Settings
from tutor.present.compare import comparison_report, held_out_losses, loss_curves
from tutor.present.console import console_for
from tutor.present.diagnosis import result_panel, verdict_text


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("compare", help="compare a block's gradients and losses with the control's",
                                   description="Run the lesson's control and FILE on the same seed and batch, and "
                                   "print a per-parameter table of the differences (and both loss curves for lessons "
                                   "that train). Exit code: 0 all match, 1 not, 2 usage or input error.")
    add_block_arguments(parser, "the block to compare", "print the comparison as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    lang = settings.language
    _, result = run_learner_block(args, settings)
    if args.json:
        control, yours = loss_curves(result, lang).values()
        print(json.dumps({"lesson": result.lesson, "status": result.status.value, "message": verdict_text(result, lang),
                          "gradients": [row.model_dump() for row in result.gradients],
                          "losses": {"control": _json_curve(control), "yours": _json_curve(yours)}},
                         ensure_ascii=False))
    else:
        console = console_for()
        console.print(result_panel(result, lang))
        title = tr(f"compare.title.{result.subject or 'gradients'}", lang)
        console.print(comparison_report(result.gradients, loss_curves(result, lang), lang, title,
                                        held_out_losses(result, lang)))
    return 0 if result.passed else 1


def _json_curve(curve: list[float]) -> list[float | None]:
    """JSON has no nan: a loss that was not a number is null, as the run reported it."""
    return [x if math.isfinite(x) else None for x in curve]
