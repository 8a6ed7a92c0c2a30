"""Grouping graph nodes by module for the tree views, and their labels (pure data)."""

from __future__ import annotations

from tutor.core.graph import AutogradGraph, GraphNode, ModuleGroup, SavedTensorInfo, outline
from tutor.present.graph import group_label, node_label, saved_label
from tutor.core.i18n import tr


def saved(name: str, saved_version: int, current_version: int) -> SavedTensorInfo:
    return SavedTensorInfo(name=name, shape=[1, 8, 64], dtype="torch.float32",
                           saved_version=saved_version, current_version=current_version)


def node(id: int, order: int, module: str | None, *, in_target: bool = False, **fields: object) -> GraphNode:
    return GraphNode(id=id, name=fields.pop("name", f"Op{id}Backward0"), module=module, backward_order=order,
                     in_target=in_target, **fields)


GRAPH = AutogradGraph(
    scope=["blocks.0"],
    nodes=[
        node(0, 1, ""),
        node(1, 2, "ln_f", module_type="LayerNorm", saved=[saved("input", 2, 2)]),
        node(2, 3, "blocks.0", in_target=True, module_type="Block"),
        node(3, 5, "blocks.0.ln1", in_target=True, module_type="LayerNorm", saved=[saved("input", 0, 2)]),
        node(4, 4, "blocks.0.ln2", in_target=True, module_type="LayerNorm", saved=[saved("input", 1, 2)]),
        node(5, 6, "blocks.0.ln1", in_target=True, name="AccumulateGrad", parameter="blocks.0.ln1.weight"),
        node(6, 7, None),
    ],
)


def paths(group: ModuleGroup) -> list[object]:
    """The group's children: node ids, and (path, children) for subgroups."""
    return [(c.path, paths(c)) if isinstance(c, ModuleGroup) else c.id for c in group.children]


def test_scoped_outline_holds_only_the_block_in_backward_order() -> None:
    (block,) = outline(GRAPH)
    assert block.path == "blocks.0" and block.module_type == "Block"
    assert paths(block) == [2, ("blocks.0.ln2", [4]), ("blocks.0.ln1", [3, 5])]
    assert block.broken


def test_whole_outline_folds_single_child_groups_and_keeps_what_is_outside_modules() -> None:
    model, outside = outline(GRAPH, scoped=False)
    assert model.path == "" and outside.path is None
    assert paths(model)[:2] == [0, ("ln_f", [1])]
    assert paths(model)[2][0] == "blocks.0"  # `blocks` (a ModuleList with no node of its own) is folded away
    assert paths(outside) == [6]


def test_without_nodes_in_scope_the_outline_falls_back_to_the_whole_graph() -> None:
    cut = AutogradGraph(scope=["blocks.0"], nodes=[n for n in GRAPH.nodes if not n.in_target])
    assert [g.path for g in outline(cut)] == ["", None]


def test_the_first_failure_is_the_broken_node_backward_reaches_first() -> None:
    assert [n.id for n in GRAPH.broken] == [3, 4]
    assert GRAPH.first_failure is not None and GRAPH.first_failure.id == 4
    contract = GRAPH.contract()
    assert contract["first_failure"] == 4
    assert [n["broken"] for n in contract["nodes"]] == [False, False, False, True, True, False, False]


def test_labels_give_the_versions_that_disagree_in_each_language() -> None:
    ln2 = GRAPH.nodes[4]
    assert node_label(ln2, "en") == "#4 Op4Backward0: input [1, 8, 64] saved at version 1, now at version 2"
    assert "versión 1" in node_label(ln2, "es") and "versión 2" in node_label(ln2, "es")
    assert node_label(GRAPH.nodes[1], "en") == "#2 Op1Backward0 " + tr("graph.saves", "en", names="input")
    assert node_label(GRAPH.nodes[5], "en").endswith("→ blocks.0.ln1.weight")
    assert saved_label(saved("input", 2, 2), "en") == "input [1, 8, 64], saved at version 2"
    assert group_label(ModuleGroup("", "GPT"), "es") == "el modelo (GPT)"
