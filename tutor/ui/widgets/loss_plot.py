"""The comparison tab: control against the learner's run, per parameter and per step.

A table of each parameter's largest absolute and relative difference (or its missing
gradient), and both loss curves over the same steps, drawn by textual-plotext.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import var
from textual.widgets import DataTable, Static
from textual_plotext import PlotextPlot

from tutor.core.results import RunResult, TensorComparison
from tutor.present.compare import (COLUMNS, Curves, column_titles, comparison_cells, draw_losses, held_out_losses,
                                   loss_curves, loss_summary, trained)


class ComparisonView(Vertical):
    DEFAULT_CSS = """
    ComparisonView { height: 1fr; }
    ComparisonView > PlotextPlot { height: 1fr; min-height: 10; }
    ComparisonView > DataTable { height: auto; max-height: 50%; }
    ComparisonView > #comparison-summary { height: auto; padding: 0 1; }
    """
    language: var[str] = var("en", init=False)

    def __init__(self, language: str = "en", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_reactive(ComparisonView.language, language)
        self.result: RunResult | None = None  # its curves are named in the language of the moment
        self._rows: list[TensorComparison] = []
        self._curves: Curves = {}

    def compose(self) -> ComposeResult:
        yield Static(id="comparison-summary")
        yield PlotextPlot()
        yield DataTable(zebra_stripes=True, cursor_type="row")

    def on_mount(self) -> None:
        self._draw()

    def watch_language(self) -> None:
        if self.is_mounted:
            self._draw()

    def show_result(self, result: RunResult, language: str | None = None) -> None:
        """A check's comparison: the learner's block against the lesson's control."""
        self.result, self._rows = result, list(result.gradients)
        self.set_reactive(ComparisonView.language, language or self.language)
        self._draw()

    def show(self, rows: Sequence[TensorComparison], curves: Curves, language: str | None = None) -> None:
        """Any two runs' comparison, with curves already named."""
        self.result, self._rows, self._curves = None, list(rows), dict(curves)
        self.set_reactive(ComparisonView.language, language or self.language)
        self._draw()

    def _draw(self) -> None:
        curves = loss_curves(self.result, self.language) if self.result else self._curves
        plot = self.query_one(PlotextPlot)
        plot.display = trained(curves)  # one step: the summary gives the loss, an axis around one point would not
        draw_losses(plot.plt, curves, self.language, marker="braille")
        plot.refresh()
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for key, title in zip(COLUMNS, column_titles(self.language)):
            table.add_column(title, key=key)
        for row in self._rows:
            table.add_row(*comparison_cells(row, self.language))
        held_out = held_out_losses(self.result, self.language) if self.result else None
        summary = loss_summary(curves, self.language, held_out)
        self.query_one("#comparison-summary", Static).update(Text("   ".join(summary)))
