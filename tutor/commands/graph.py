"""`minigpt-tutor graph LESSON FILE`: the autograd graph of a learner's block, as a tree.

Scoped to the lesson's block unless `--all`; the nodes whose saved tensors were
modified in place are marked, with the versions that disagree.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text
from rich.tree import Tree

from tutor.commands.common import add_block_arguments, console_for, run_learner_block
from tutor.core.graph import (AutogradGraph, GraphNode, ModuleGroup, evidence_label, group_label, node_label, outline,
                              saved_label)
from tutor.core.i18n import tr

BROKEN_STYLE = "bold red"
FIRST_FAILURE_STYLE = "bold white on red"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("graph", help="show the autograd graph of a block, and what broke it",
                                   description="Run FILE in a sandbox and show the autograd graph from the loss, just "
                                   "before backward: each node, the tensors it saved, and the nodes whose saved tensors "
                                   "were modified in place. Exit code: 0 a graph was captured, 1 the run stopped before "
                                   "backward, 2 usage or input error.")
    add_block_arguments(parser, "the block to run", "print the graph as JSON")
    parser.add_argument("--all", action="store_true", help="the whole graph, not only the lesson's block")
    parser.add_argument("--saved", action="store_true", help="list every saved tensor of every node")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    _, result, lang = run_learner_block(args, capture_graph=True)
    graph = result.graph
    if args.json:
        print(json.dumps({"lesson": result.lesson, "status": result.status.value, "message": result.message,
                          "graph": None if graph is None else graph.contract()}, ensure_ascii=False))
    elif graph is None:
        console_for().print(tr("graph.none", lang, message=result.message))
    else:
        console_for().print(graph_tree(graph, lang, scoped=not args.all, every_saved=args.saved))
        console_for().print(Text(result.message))
    return 0 if graph is not None else 1


def graph_tree(graph: AutogradGraph, language: str, *, scoped: bool, every_saved: bool = False) -> RenderableType:
    groups = outline(graph, scoped=scoped)
    tree = Tree(Text(graph_title(graph, groups, language), style="bold"))
    add_outline(tree, groups, graph, language, lambda parent, label, _: parent.add(label), every_saved=every_saved)
    notes = [Text(broken_note(graph, language))]
    if scoped and graph.scope and len(graph.in_scope()) < len(graph.nodes):
        notes.append(Text(tr("graph.scoped_hint", language, scope=", ".join(graph.scope)), style="dim"))
    return Group(tree, *notes)


def graph_title(graph: AutogradGraph, groups: list[ModuleGroup], language: str) -> str:
    return tr("graph.title", language, shown=sum(_count(group) for group in groups), total=len(graph.nodes))


def broken_note(graph: AutogradGraph, language: str) -> str:
    return tr("graph.broken_count" if graph.broken else "graph.none_broken", language, count=len(graph.broken))


def _count(group: ModuleGroup) -> int:
    return sum(_count(c) if isinstance(c, ModuleGroup) else 1 for c in group.children)


# Adds a labelled child to a tree node and returns it; `expanded` says whether it starts open.
# Rich's `Tree` and Textual's `TreeNode` both fit, so the command and the TUI draw the same tree.
AddChild = Callable[[Any, Text, bool], Any]


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
