"""`minigpt-tutor compare LESSON FILE`: a block's gradients and losses against the control's.

Same seed, same batch: the table gives each parameter's largest absolute and relative
difference (or that it has no gradient at all), and for lessons that train, the two loss
curves are drawn in the terminal.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from tutor.commands.common import add_block_arguments, console_for, run_learner_block
from tutor.commands.render import result_panel
from tutor.core.i18n import tr
from tutor.core.results import RunResult, TensorComparison

STATE_STYLE = {"same": "green", "differs": "bold red", "missing": "bold red"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("compare", help="compare a block's gradients and losses with the control's",
                                   description="Run the lesson's control and FILE on the same seed and batch, and "
                                   "print a per-parameter table of the differences (and both loss curves for lessons "
                                   "that train). Exit code: 0 all match, 1 not, 2 usage or input error.")
    add_block_arguments(parser, "the block to compare", "print the comparison as JSON")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    _, result, lang = run_learner_block(args)
    control, yours = loss_curves(result)
    if args.json:
        print(json.dumps({"lesson": result.lesson, "status": result.status.value, "message": result.message,
                          "gradients": [row.model_dump() for row in result.gradients],
                          "losses": {"control": control, "yours": yours}}, ensure_ascii=False))
    else:
        console = console_for()
        console.print(result_panel(result, lang))
        console.print(comparison_report(result.gradients, {tr("compare.control", lang): control,
                                                           tr("compare.yours", lang): yours},
                                        lang, tr("compare.title", lang)))
    return 0 if result.passed else 1


def loss_curves(result: RunResult) -> tuple[list[float], list[float]]:
    """The losses of both runs: `losses` for lessons that train, else the single `loss`."""
    def curve(prefix: str) -> list[float]:
        many, one = result.evidence.get(f"{prefix}losses"), result.evidence.get(f"{prefix}loss")
        if isinstance(many, list):
            return [float(x) for x in many]
        return [float(one)] if isinstance(one, (int, float)) else []

    return curve("control_"), curve("")


def state(row: TensorComparison) -> str:
    """same, missing (the compared run has no gradient there) or differs."""
    return "same" if row.matches else "missing" if row.missing else "differs"


def comparison_table(rows: Sequence[TensorComparison], language: str, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column(tr("compare.parameter", language))
    table.add_column(tr("compare.max_abs_diff", language), justify="right")
    table.add_column(tr("compare.rel_diff", language), justify="right")
    table.add_column(tr("compare.state", language))
    for row in rows:
        kind = state(row)
        table.add_row(row.name, _number(row.max_abs_diff), _number(row.rel_diff),
                      Text(tr(f"compare.{kind}", language), style=STATE_STYLE[kind]))
    return table


def _number(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def comparison_report(rows: Sequence[TensorComparison], curves: dict[str, list[float]], language: str,
                      title: str) -> RenderableType:
    parts: list[RenderableType] = []
    if rows:
        parts.append(comparison_table(rows, language, title))
    if any(len(curve) > 1 for curve in curves.values()):  # a single loss is a number, not a curve
        parts.append(loss_chart(curves, language))
    summary = [tr("compare.final_loss", language, name=name, loss=f"{curve[-1]:.4f}", steps=len(curve))
               for name, curve in curves.items() if curve]
    summary += [tr("compare.no_loss", language, name=name) for name, curve in curves.items() if not curve]
    parts.append(Text("\n".join(summary)))
    return Group(*parts)


def loss_chart(curves: dict[str, list[float]], language: str, width: int = 72, height: int = 16) -> Text:
    """Both loss curves over the same steps, as plotext draws them for a terminal."""
    import plotext

    plotext.clear_figure()
    plotext.plotsize(width, height)
    plotext.theme("clear")
    for name, curve in curves.items():
        if curve:
            plotext.plot(list(range(1, len(curve) + 1)), curve, label=name)
    plotext.title(tr("compare.loss_title", language))
    plotext.xlabel(tr("compare.step", language))
    chart = plotext.build()
    plotext.clear_figure()
    return Text.from_ansi(chart)
