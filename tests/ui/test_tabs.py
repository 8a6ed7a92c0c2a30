"""The lesson screen's tabs: the graph of the last run and its comparison with the control."""

from __future__ import annotations

from textual.widgets import DataTable, TabbedContent, Tree

from tests.ui.conftest import AppFactory
from tests.ui.ui_helpers import pilot_test, plain, replace_block, run_block, text_of
from tutor.core.i18n import tr
from tutor.ui.widgets.graph_view import GraphView
from tutor.ui.widgets.loss_plot import ComparisonView

SIZE = (100, 34)
DATA_RESIDUAL = """def forward(self, h: torch.Tensor) -> torch.Tensor:
    h.data.add_(self.attn(self.ln1(h)))
    h.data.add_(self.mlp(self.ln2(h)))
    return h"""


def tree_labels(view: GraphView) -> list[str]:
    labels: list[str] = []
    pending = [view.query_one(Tree).root]
    while pending:
        node = pending.pop()
        labels.append(plain(node.label))
        pending.extend(node.children)
    return labels


@pilot_test
async def test_the_graph_tab_marks_the_block_layernorms_of_the_starter(make_app: AppFactory) -> None:
    app = make_app(lesson="inplace-residual")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        tabs = screen.query_one(TabbedContent)
        assert tabs.active == "tab-result"
        await run_block(pilot)
        await pilot.press("t")
        assert tabs.active == "tab-graph"
        graph = screen.query_one(GraphView).graph
        assert graph is not None
        broken = {node.module for node in graph.nodes if node.broken}
        assert broken == {"blocks.0.ln1", "blocks.0.ln2"}
        labels = "\n".join(tree_labels(screen.query_one(GraphView)))
        assert "saved at version 1, now at version 2" in labels  # ln2's h
        assert "saved at version 0, now at version 2" in labels  # ln1's h
        await pilot.press("t")
        assert tabs.active == "tab-compare"
        await pilot.press("t")
        assert tabs.active == "tab-result"


@pilot_test
async def test_the_compare_tab_lists_the_missing_gradients_of_the_silent_variant(make_app: AppFactory) -> None:
    app = make_app(lesson="inplace-residual")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await replace_block(pilot, DATA_RESIDUAL)
        await run_block(pilot)
        await pilot.press("t", "t")
        table = screen.query_one(ComparisonView).query_one(DataTable)
        rows = {plain(table.get_row_at(i)[0]): plain(table.get_row_at(i)[-1]) for i in range(table.row_count)}
        assert len(rows) == 17
        assert {name for name, state in rows.items() if state == "no gradient"} == {
            name for name in rows if name.startswith("blocks.0.")}
        assert "no node saved a tensor" in text_of(screen.query_one(GraphView)).lower()


@pilot_test
async def test_tab_names_follow_the_language(make_app: AppFactory) -> None:
    app = make_app(lesson="inplace-residual", lang="es")
    async with app.run_test(size=SIZE) as pilot:
        tabs = app.screen.query_one(TabbedContent)
        assert [str(tabs.get_tab(f"tab-{name}").label) for name in ("result", "graph", "compare")] == [
            "Resultado", "Grafo", "Comparar"]
        await pilot.press("l")
        assert str(tabs.get_tab("tab-graph").label) == "Graph"


@pilot_test
async def test_a_language_switch_redraws_the_graph_and_compare_panes(make_app: AppFactory) -> None:
    app = make_app(lesson="inplace-residual")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await run_block(pilot)
        graph, compare = screen.query_one(GraphView), screen.query_one(ComparisonView)

        def said() -> tuple[str, str, list[str], str]:
            table = compare.query_one(DataTable)
            return (plain(graph.query_one(Tree).root.label), text_of(graph), [plain(c.label) for c in table.columns.values()],
                    text_of(compare))

        title, graph_text, columns, compare_text = said()
        assert columns == [tr(f"compare.{key}", "en") for key in ("parameter", "max_abs_diff", "rel_diff", "state")]
        await pilot.press("l")
        await pilot.pause()
        assert app.language == "es"
        es_title, es_graph_text, es_columns, es_compare_text = said()
        assert title.startswith("Autograd graph from the loss") and es_title.startswith("Grafo de autograd desde la pérdida")
        assert es_graph_text != graph_text
        assert es_columns == [tr(f"compare.{key}", "es") for key in ("parameter", "max_abs_diff", "rel_diff", "state")]
        assert "loss" in compare_text and "pérdida" in es_compare_text and "loss" not in es_compare_text
        assert es_compare_text != compare_text
