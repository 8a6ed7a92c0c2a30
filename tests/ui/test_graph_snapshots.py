"""The graph and comparison tabs, drawn from real runs. Regenerate with
`python -m pytest tests/ui/test_graph_snapshots.py --snapshot-update` and read the SVGs first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widget import Widget
from textual.widgets import Tree

from tutor.core.experiment import compare_gradients, load_experiment
from tutor.core.graph import AutogradGraph
from tutor.core.lessons import Lesson
from tutor.core.runner import run_block
from tutor.ui.widgets.graph_view import GraphView
from tutor.ui.widgets.loss_plot import ComparisonView

from ui_helpers import pilot_test

SIZE = (100, 34)


class Host(App[None]):
    """A bare app around one widget."""

    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self.widget = widget

    def compose(self) -> ComposeResult:
        yield self.widget


@pytest.fixture(scope="module")
def starter_graph(inplace_lesson: Lesson) -> AutogradGraph:
    graph = run_block(inplace_lesson, inplace_lesson.code.starter, capture_graph=True).graph
    assert graph is not None
    return graph


@pytest.fixture(scope="module")
def control_and_silent(tmp_path_factory: pytest.TempPathFactory, inplace_lesson: Lesson) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("experiments")
    silent = root / "silent.py"
    silent.write_text(next(w.code for w in inplace_lesson.wrong_fixes if "h.data.add_" in w.code))
    folders = root / "A", root / "C"
    for folder, variant in zip(folders, ("control", str(silent))):
        run = subprocess.run([sys.executable, "-m", "tutor", "experiment", "inplace-residual", "--variant", variant,
                              "--steps", "40", "--out", str(folder)], capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stdout + run.stderr
    return folders


def test_graph_tab_of_the_inplace_starter(snap_compare, starter_graph: AutogradGraph) -> None:
    """The graph of the in-place starter, scoped to blocks.0: "59 of 75 nodes", then a red line
    "2 nodes saved a tensor that was modified in place afterwards" and "press e for the whole graph".
    The tree opens blocks.0 (Block) in red; the MLP is folded; blocks.0.ln2 (LayerNorm) is open in
    red: a white-on-red "backward fails here first", then "#26 NativeLayerNormBackward0: input
    [1, 8, 64] saved at version 1, now at version 2", its saved tensors (bias, input in
    red with torch's version error under it, result1, result2, weight) and the AccumulateGrad leaves."""
    assert snap_compare(Host(GraphView(starter_graph)), terminal_size=SIZE)


@pilot_test
async def test_w_switches_between_the_block_and_the_whole_graph(starter_graph: AutogradGraph) -> None:
    app = Host(GraphView(starter_graph))
    async with app.run_test(size=SIZE) as pilot:
        tree = app.query_one(Tree)
        assert f"{len(starter_graph.in_scope())} of {len(starter_graph.nodes)}" in str(tree.root.label)
        await pilot.press("tab", "w")
        assert f"{len(starter_graph.nodes)} of {len(starter_graph.nodes)}" in str(tree.root.label)
        assert "the model (GPT)" in [str(child.label) for child in tree.root.children]
        await pilot.press("w")
        assert [str(child.label) for child in tree.root.children] == ["blocks.0 (Block)"]


def test_comparison_tab_of_the_silent_data_variant(snap_compare, control_and_silent: tuple[Path, Path]) -> None:
    """Control against the `.data` variant over 40 training steps: the summary gives both last
    losses; the plot titled "Loss per step" draws the two curves (control, yours), starting at
    the same loss and drifting apart; the table lists 17 parameters: tok_emb and pos_emb "differs"
    with their differences, the twelve blocks.0 parameters "no gradient" in red, ln_f "same" (lm_head,
    also "same", is one scroll below)."""
    a, c = (load_experiment(folder) for folder in control_and_silent)
    view = ComparisonView()

    async def fill(pilot) -> None:
        view.show(compare_gradients(a, c), {"control": a.losses, "yours": c.losses})
        await pilot.pause()

    assert snap_compare(Host(view), terminal_size=SIZE, run_before=fill)
