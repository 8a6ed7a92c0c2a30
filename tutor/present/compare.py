"""A run set against another, same seed and batch: per tensor, the largest absolute and
relative difference (or that it has none), and both loss curves over the same steps.

The table is built as rows of cells, which a Rich table (the command line) and a Textual
DataTable (the tutor) both take; the chart is drawn on plotext's API, which plotext itself
and textual-plotext's widget both offer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from tutor.core.i18n import tr
from tutor.core.results import RunResult, TensorComparison

COLUMNS = ("parameter", "max_abs_diff", "rel_diff", "state")
COMPARISON_STYLE = {"same": "green", "differs": "bold red", "missing": "bold red"}

Curves = dict[str, list[float]]  # a name in the chart's legend -> one loss per step
LOG_SPREAD = 1000.0  # losses further apart than this factor are drawn on a logarithmic axis


def loss_curves(result: RunResult, language: str) -> Curves:
    """The control's and the learner's losses: `losses` for lessons that train, else the single `loss`.

    A loss that was not a number (a run that diverged) arrives as JSON null: it is nan here."""
    def curve(prefix: str) -> list[float]:
        many, one = result.evidence.get(f"{prefix}losses"), result.evidence.get(f"{prefix}loss")
        if isinstance(many, list):
            return [float(x) if isinstance(x, (int, float)) else math.nan for x in many]
        return [float(one)] if isinstance(one, (int, float)) else []

    return {tr("compare.control", language): curve("control_"), tr("compare.yours", language): curve("")}


def held_out_losses(result: RunResult, language: str) -> dict[str, object]:
    """Each run's loss on the held-out batch after training (`final_loss`), named as in `loss_curves`:
    what a lesson that records no loss per step has to say about its loss."""
    names = {tr("compare.control", language): "control_final_loss", tr("compare.yours", language): "final_loss"}
    return {name: result.evidence[key] for name, key in names.items() if key in result.evidence}


def comparison_state(row: TensorComparison) -> str:
    """same, missing (the compared run has no gradient there) or differs."""
    return "same" if row.matches else "missing" if row.missing else "differs"


def column_titles(language: str) -> list[str]:
    return [tr(f"compare.{key}", language) for key in COLUMNS]


def comparison_cells(row: TensorComparison, language: str) -> tuple[str, Text, Text, Text]:
    kind = comparison_state(row)
    return (row.name, _number(row.max_abs_diff), _number(row.rel_diff),
            Text(tr(f"compare.{kind}", language), style=COMPARISON_STYLE[kind]))


def _number(value: float | None) -> Text:
    return Text("-" if value is None else f"{value:.3g}", justify="right")


def comparison_table(rows: Sequence[TensorComparison], language: str, title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for key, heading in zip(COLUMNS, column_titles(language)):
        table.add_column(heading, justify="right" if key.endswith("diff") else "left")
    for row in rows:
        table.add_row(*comparison_cells(row, language))
    return table


def trained(curves: Curves) -> bool:
    """Whether a curve has more than one step: a single loss is a number, not a curve."""
    return any(len(curve) > 1 for curve in curves.values())


def loss_summary(curves: Curves, language: str, held_out: dict[str, object] | None = None) -> list[str]:
    """Each curve's last loss (for one step, the loss as one value); without a curve, the run's
    held-out loss when it has one, else that the result holds no loss for it."""
    key = "compare.final_loss" if trained(curves) else "compare.single_loss"

    def said(name: str, curve: list[float]) -> str:
        if curve:
            return tr(key, language, name=name, loss=_loss(curve[-1], language), steps=len(curve))
        if held_out and name in held_out:  # as the run reported it: 2 places, or None for inf or nan
            loss = held_out[name]
            shown = f"{loss:g}" if isinstance(loss, (int, float)) else tr("evidence.inf_or_nan", language)
            return tr("compare.held_out_only", language, name=name, loss=shown)
        return tr("compare.no_loss", language, name=name)

    return [said(name, curve) for name, curve in curves.items()]


def _loss(value: float, language: str) -> str:
    """A loss to 4 places; a run reports one that blew up as inf or nan without saying which."""
    return f"{value:.4f}" if math.isfinite(value) else tr("evidence.inf_or_nan", language)


def draw_losses(plt: Any, curves: Curves, language: str, marker: str | None = None) -> None:
    """Plot every curve with its title and axis on `plt`: the plotext module, or a PlotextPlot's `plt`."""
    plt.clear_data()
    plt.clear_figure()
    plt.title(tr("compare.loss_title", language))
    plt.xlabel(tr("compare.step", language))
    for name, curve in curves.items():
        points = [(step, loss) for step, loss in enumerate(curve, start=1) if math.isfinite(loss)]
        if points:  # inf and nan have no place on an axis (plotext cannot scale one with inf)
            steps, losses = zip(*points)
            plt.plot(list(steps), list(losses), label=name, **({"marker": marker} if marker else {}))
    logarithmic = log_scale(curves)
    plt.yscale("log" if logarithmic else "linear")
    plt.ylabel(tr("compare.log_scale", language) if logarithmic else "")


def log_scale(curves: Curves) -> bool:
    """Whether the losses span so many orders of magnitude (a run that blew up) that on a linear
    axis every other step would lie flat on the bottom line."""
    finite = [loss for curve in curves.values() for loss in curve if math.isfinite(loss)]
    return bool(finite) and min(finite) > 0 and max(finite) > LOG_SPREAD * min(finite)


def loss_chart(curves: Curves, language: str, width: int = 72, height: int = 16) -> Text:
    """Both loss curves for a terminal that is not the tutor's."""
    import plotext  # only the command line needs it

    draw_losses(plotext, curves, language)
    plotext.plotsize(width, height)
    plotext.theme("clear")
    chart = plotext.build()
    plotext.clear_figure()
    return Text.from_ansi(chart)


def comparison_report(rows: Sequence[TensorComparison], curves: Curves, language: str, title: str,
                      held_out: dict[str, object] | None = None) -> RenderableType:
    """The table, the chart when a curve has more than one step, and the last (or held-out) losses."""
    parts: list[RenderableType] = []
    if rows:
        parts.append(comparison_table(rows, language, title))
    if trained(curves):
        parts.append(loss_chart(curves, language))
    parts.append(Text("\n".join(loss_summary(curves, language, held_out))))
    return Group(*parts)
