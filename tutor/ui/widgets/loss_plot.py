"""The comparison tab: control against the learner's run, per parameter and per step.

A table of each parameter's largest absolute and relative difference (or its missing
gradient), and both loss curves over the same steps, drawn by textual-plotext.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static
from textual_plotext import PlotextPlot

from tutor.commands.compare import STATE_STYLE, loss_curves, state
from tutor.core.i18n import tr
from tutor.core.results import RunResult, TensorComparison


class ComparisonView(Vertical):
    DEFAULT_CSS = """
    ComparisonView { height: 1fr; }
    ComparisonView > PlotextPlot { height: 1fr; min-height: 10; }
    ComparisonView > DataTable { height: auto; max-height: 50%; }
    ComparisonView > #comparison-summary { height: auto; padding: 0 1; }
    """

    def __init__(self, language: str = "en", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.language = language
        self._rows: list[TensorComparison] = []
        self._curves: dict[str, list[float]] = {}

    def compose(self) -> ComposeResult:
        yield Static(id="comparison-summary")
        yield PlotextPlot()
        yield DataTable(zebra_stripes=True, cursor_type="row")

    def on_mount(self) -> None:
        self._draw()

    def show_result(self, result: RunResult, language: str | None = None) -> None:
        """A check's comparison: the learner's block against the lesson's control."""
        control, yours = loss_curves(result)
        lang = language or self.language
        self.show(result.gradients, {tr("compare.control", lang): control, tr("compare.yours", lang): yours}, lang)

    def show(self, rows: Sequence[TensorComparison], curves: dict[str, list[float]], language: str | None = None) -> None:
        self._rows, self._curves = list(rows), dict(curves)
        self.language = language or self.language
        self._draw()

    def _draw(self) -> None:
        self._draw_plot()
        self._draw_table()
        lines = [tr("compare.final_loss", self.language, name=name, loss=f"{curve[-1]:.4f}", steps=len(curve))
                 for name, curve in self._curves.items() if curve]
        lines += [tr("compare.no_loss", self.language, name=name) for name, curve in self._curves.items() if not curve]
        self.query_one("#comparison-summary", Static).update(Text("   ".join(lines)))

    def _draw_plot(self) -> None:
        plot = self.query_one(PlotextPlot)
        plt = plot.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(tr("compare.loss_title", self.language))
        plt.xlabel(tr("compare.step", self.language))
        for name, curve in self._curves.items():
            if curve:
                plt.plot(list(range(1, len(curve) + 1)), curve, label=name, marker="braille")
        plot.refresh()

    def _draw_table(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for key in ("parameter", "max_abs_diff", "rel_diff", "state"):
            table.add_column(tr(f"compare.{key}", self.language), key=key)
        for row in self._rows:
            kind = state(row)
            table.add_row(row.name, _number(row.max_abs_diff), _number(row.rel_diff),
                          Text(tr(f"compare.{kind}", self.language), style=STATE_STYLE[kind]))


def _number(value: float | None) -> Text:
    return Text("-" if value is None else f"{value:.3g}", justify="right")
