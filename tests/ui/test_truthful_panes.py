"""The graph and compare panes say what the last run was: no run yet, no backward, the first step's
graph of a lesson that trains, and one loss as one number."""

from __future__ import annotations

from textual.widgets import Static
from textual_plotext import PlotextPlot

from tutor.core.graph import AutogradGraph
from tutor.core.i18n import Wording, tr
from tutor.core.results import TensorComparison
from tutor.ui.widgets.graph_view import GraphView
from tutor.ui.widgets.loss_plot import ComparisonView

from test_graph_snapshots import Host, starter_graph  # noqa: F401 (the fixture)
from ui_helpers import pilot_test, plain


def message_of(view: GraphView) -> str:
    return plain(view.query_one("#graph-message", Static).content)


@pilot_test
async def test_the_graph_pane_says_why_there_is_no_graph_and_whose_graph_it_is(starter_graph: AutogradGraph) -> None:
    view = GraphView()
    async with Host(view).run_test(size=(80, 24)) as pilot:
        assert message_of(view) == "Run the block to see its autograd graph."
        view.show(None, stopped=Wording(key="graph.no_backward"))
        await pilot.pause()
        assert message_of(view).startswith("No graph: the run stopped before backward. This lesson's check generates")
        view.language = "es"  # the reason is said again in the new language
        await pilot.pause()
        assert message_of(view) == tr("graph.none", "es", message=tr("graph.no_backward", "es"))
        view.language = "en"
        view.show(starter_graph, steps=30)
        await pilot.pause()
        assert message_of(view) == ("This run trained for 30 steps: the graph is the first step's, "
                                    "just before its backward.")
        view.show(starter_graph, steps=0)
        await pilot.pause()
        assert not view.query_one("#graph-message").display


@pilot_test
async def test_a_one_step_loss_is_a_single_value_not_a_chart() -> None:
    view = ComparisonView()
    rows = [TensorComparison(name="lm_head.weight", max_abs_diff=0.0, rel_diff=0.0, missing=False, matches=True)]
    async with Host(view).run_test(size=(100, 34)) as pilot:
        view.show(rows, {"control": [4.011], "yours": [4.011]})
        await pilot.pause()
        assert not view.query_one(PlotextPlot).display
        summary = plain(view.query_one("#comparison-summary", Static).content)
        assert "control: loss 4.0110 (one step: a single value)" in summary
        view.show(rows, {"control": [4.0, 3.5, 3.1], "yours": [4.0, 3.6, 3.3]})
        await pilot.pause()
        assert view.query_one(PlotextPlot).display
        assert "yours: loss 3.3000 at step 3" in plain(view.query_one("#comparison-summary", Static).content)
