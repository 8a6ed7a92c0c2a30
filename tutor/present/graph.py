"""The autograd graph of a run as a tree grouped by module, with the nodes whose saved
tensors were modified in place marked, and the versions that disagree.

`add_outline` fills any tree whose nodes take labelled children: Rich's `Tree` for the
command line, Textual's `TreeNode` for the tutor, so both show the same tree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text
from rich.tree import Tree

from tutor.core.graph import AutogradGraph, GraphNode, ModuleGroup, SavedTensorInfo, outline
from tutor.core.i18n import tr, tr_count
from tutor.core.results import RunResult

BROKEN_STYLE = "bold red"
FIRST_FAILURE_STYLE = "bold white on red"

# Adds a labelled child to a tree node and returns it; `expanded` says whether it starts open.
AddChild = Callable[[Any, Text, bool], Any]


def graph_tree(graph: AutogradGraph, language: str, *, scoped: bool, every_saved: bool = False) -> RenderableType:
    """The command line's tree, its count of broken nodes and, when scoped, how to see the rest."""
    groups = outline(graph, scoped=scoped)
    tree = Tree(Text(graph_title(graph, groups, language), style="bold"))
    add_outline(tree, groups, graph, language, lambda parent, label, _: parent.add(label), every_saved=every_saved)
    notes = [Text(broken_note(graph, language))]
    if scoped and graph.scope and len(graph.in_scope()) < len(graph.nodes):
        notes.append(Text(tr("graph.scoped_hint", language, scope=", ".join(graph.scope)), style="dim"))
    return Group(tree, *notes)


def training_steps(result: RunResult) -> int:
    """How many steps the run trained for (0 for a lesson that does not train): its graph is the first step's."""
    losses = result.evidence.get("losses")
    return len(losses) if isinstance(losses, list) else 0


def graph_title(graph: AutogradGraph, groups: list[ModuleGroup], language: str) -> str:
    return tr("graph.title", language, shown=sum(_count(group) for group in groups), total=len(graph.nodes))


def broken_note(graph: AutogradGraph, language: str) -> str:
    if not graph.broken:
        return tr("graph.none_broken", language)
    return tr_count("graph.broken_count", language, len(graph.broken))


def _count(group: ModuleGroup) -> int:
    return sum(_count(c) if isinstance(c, ModuleGroup) else 1 for c in group.children)


def add_outline(parent: Any, groups: list[ModuleGroup], graph: AutogradGraph, language: str, add: AddChild, *,
                every_saved: bool = True) -> None:
    first = graph.first_failure
    for group in groups:
        _add_group(parent, group, language, first, every_saved, add)


def _add_group(parent: Any, group: ModuleGroup, language: str, first: GraphNode | None, every_saved: bool,
               add: AddChild) -> None:
    label = Text(group_label(group, language), style=BROKEN_STYLE if group.broken else "bold cyan")
    branch = add(parent, label, group.broken or group.path in ("", None))
    for child in group.children:
        if isinstance(child, ModuleGroup):
            _add_group(branch, child, language, first, every_saved, add)
        else:
            _add_node(branch, child, language, child is first, every_saved, add)


def _add_node(parent: Any, node: GraphNode, language: str, first: bool, every_saved: bool, add: AddChild) -> None:
    label = Text(node_label(node, language), style=BROKEN_STYLE if node.broken else "")
    if first:  # in front, where a narrow terminal still shows it
        label = Text.assemble((tr("graph.first_failure", language), FIRST_FAILURE_STYLE), " ", label)
    branch = add(parent, label, node.broken)
    for saved in node.saved:
        if every_saved or node.broken:
            line = add(branch, Text(saved_label(saved, language), style=BROKEN_STYLE if saved.modified else "dim"),
                       saved.modified)
            if saved.error:
                add(line, Text(evidence_label(saved.error, language), style="dim"), False)


def group_label(group: ModuleGroup, language: str) -> str:
    if group.path is None:
        return tr("graph.outside", language)
    name = group.path or tr("graph.model", language)
    return f"{name} ({group.module_type})" if group.module_type else name


def node_label(node: GraphNode, language: str) -> str:
    """`#26 NativeLayerNormBackward0`, with what makes the node worth a look."""
    text = f"#{node.backward_order} {node.name}"
    if node.parameter is not None:
        return f"{text} → {node.parameter}"
    modified = [saved for saved in node.saved if saved.modified]
    if modified:
        return f"{text}: " + "; ".join(saved_label(saved, language) for saved in modified)
    if node.saved:
        return f"{text} " + tr("graph.saves", language, names=", ".join(saved.name for saved in node.saved))
    return text


def saved_label(saved: SavedTensorInfo, language: str) -> str:
    shape = f"[{', '.join(map(str, saved.shape))}]"
    key = "graph.saved_modified" if saved.modified else "graph.saved"
    return tr(key, language, name=saved.name, shape=shape, saved=saved.saved_version, current=saved.current_version)


def evidence_label(error: str, language: str) -> str:
    """torch's own words on reading the tensor through the node, without its closing hint."""
    return tr("graph.evidence", language, error=error.split(" Hint:")[0])
