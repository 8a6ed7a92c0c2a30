"""The graph view on real torch: the in-place residual marks exactly the Block LayerNorms."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.core.graph import AutogradGraph, GraphNode
from tutor.core.lessons import Lesson
from tutor.core.results import Status
from tutor.core.runner import run_block


def graph_of(lesson: Lesson, source: str) -> AutogradGraph:
    result = run_block(lesson, source, capture_graph=True)
    assert result.graph is not None, result.message
    return result.graph


def with_layers(lesson: Lesson, n_layer: int) -> Lesson:
    settings = {**lesson.check.settings, "n_layer": n_layer}
    return lesson.model_copy(update={"check": lesson.check.model_copy(update={"settings": settings})})


def input_versions(node: GraphNode) -> tuple[int, int]:
    (saved,) = [s for s in node.saved if s.name == "input"]
    return saved.saved_version, saved.current_version


def by_module(graph: AutogradGraph, module: str, name: str = "NativeLayerNormBackward0") -> GraphNode:
    (node,) = [n for n in graph.nodes if n.module == module and n.name == name]
    return node


@pytest.fixture(scope="module")
def starter_graph(inplace_lesson: Lesson) -> AutogradGraph:
    return graph_of(inplace_lesson, inplace_lesson.code.starter)


def test_the_starter_marks_exactly_the_block_layernorms(starter_graph: AutogradGraph) -> None:
    assert sorted(n.module for n in starter_graph.broken) == ["blocks.0.ln1", "blocks.0.ln2"]
    assert {n.name for n in starter_graph.broken} == {"NativeLayerNormBackward0"}
    assert input_versions(by_module(starter_graph, "blocks.0.ln1")) == (0, 2)
    assert input_versions(by_module(starter_graph, "blocks.0.ln2")) == (1, 2)


def test_ln2_is_where_backward_fails_first(starter_graph: AutogradGraph) -> None:
    first = starter_graph.first_failure
    assert first is not None and first.module == "blocks.0.ln2"
    assert first.backward_order < by_module(starter_graph, "blocks.0.ln1").backward_order


def test_the_final_layernorm_saved_h_after_the_last_add_and_is_not_marked(starter_graph: AutogradGraph) -> None:
    final = by_module(starter_graph, "ln_f")
    assert not final.broken
    assert input_versions(final) == (2, 2)
    assert not final.in_target


def test_reading_a_modified_saved_tensor_through_the_node_is_the_evidence(starter_graph: AutogradGraph) -> None:
    (saved,) = [s for s in by_module(starter_graph, "blocks.0.ln2").saved if s.modified]
    assert saved.shape == [1, 8, 64]
    assert saved.error is not None
    assert "is at version 2; expected version 1" in saved.error


def test_the_scope_is_the_block_and_its_parameters(starter_graph: AutogradGraph) -> None:
    assert starter_graph.scope == ["blocks.0"]
    leaves = {n.parameter for n in starter_graph.in_scope() if n.parameter}
    assert "blocks.0.ln1.weight" in leaves and "blocks.0.mlp.proj.bias" in leaves
    assert all(p.startswith("blocks.0.") for p in leaves)
    assert {n.module for n in starter_graph.nodes if n.parameter == "tok_emb.weight"} == {"tok_emb"}


def test_with_two_blocks_every_block_layernorm_is_marked(inplace_lesson: Lesson) -> None:
    graph = graph_of(with_layers(inplace_lesson, 2), inplace_lesson.code.starter)
    marked = {n.module: input_versions(n) for n in graph.broken}
    assert marked == {"blocks.0.ln1": (0, 4), "blocks.0.ln2": (1, 4), "blocks.1.ln1": (2, 4), "blocks.1.ln2": (3, 4)}
    assert graph.first_failure is not None and graph.first_failure.module == "blocks.1.ln2"
    assert not by_module(graph, "ln_f").broken


def test_the_fix_marks_nothing(inplace_lesson: Lesson) -> None:
    graph = graph_of(inplace_lesson, inplace_lesson.code.fix)
    assert graph.broken == []
    assert graph.first_failure is None
    assert input_versions(by_module(graph, "blocks.0.ln1")) == (0, 0)
    assert input_versions(by_module(graph, "blocks.0.ln2")) == (0, 0)


def test_the_silent_data_variant_marks_nothing_and_its_block_is_off_the_tape(inplace_lesson: Lesson) -> None:
    (silent,) = [w.code for w in inplace_lesson.wrong_fixes if "h.data.add_" in w.code]
    graph = graph_of(inplace_lesson, silent)
    assert graph.broken == []
    assert graph.scope == ["blocks.0"]  # the block ran...
    assert graph.in_scope() == []  # ...but backward cannot reach a single node of it
    assert not any(n.parameter and n.parameter.startswith("blocks.0.") for n in graph.nodes)


def test_a_block_that_fails_in_the_forward_has_no_graph(inplace_lesson: Lesson) -> None:
    result = run_block(inplace_lesson, "def forward(self, h):\n    return h @ h\n", capture_graph=True)
    assert result.status is Status.FAILED
    assert result.graph is None


def test_graph_json_on_the_command_line(inplace_lesson: Lesson, tmp_path: Path) -> None:
    block = tmp_path / "block.py"
    block.write_text(inplace_lesson.code.starter)
    run = subprocess.run([sys.executable, "-m", "tutor", "graph", "inplace-residual", str(block), "--json"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    printed = json.loads(run.stdout)
    assert printed["status"] == "failed"
    nodes = printed["graph"]["nodes"]
    broken = [n for n in nodes if n["broken"]]
    assert sorted(n["module"] for n in broken) == ["blocks.0.ln1", "blocks.0.ln2"]
    first = next(n for n in nodes if n["id"] == printed["graph"]["first_failure"])
    assert first["module"] == "blocks.0.ln2"
    assert [(s["saved_version"], s["current_version"]) for s in first["saved"] if s["modified"]] == [(1, 2)]


def test_graph_tree_on_the_command_line_marks_the_failing_node(inplace_lesson: Lesson, tmp_path: Path) -> None:
    block = tmp_path / "block.py"
    block.write_text(inplace_lesson.code.starter)
    run = subprocess.run([sys.executable, "-m", "tutor", "graph", "inplace-residual", str(block)],
                         capture_output=True, text=True, timeout=120, env={"COLUMNS": "200", "PATH": ""})
    assert run.returncode == 0, run.stderr
    failing = [line for line in run.stdout.splitlines() if "backward fails here first" in line]
    assert len(failing) == 1
    assert "NativeLayerNormBackward0: input [1, 8, 64] saved at version 1, now at version 2" in failing[0]
    assert "ln_f" not in run.stdout  # scoped to the block by default
