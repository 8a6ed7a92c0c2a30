"""`minigpt-tutor graph LESSON FILE`: the autograd graph of a learner's block, as a tree.

Scoped to the lesson's block unless `--all`; the nodes whose saved tensors were
modified in place are marked, with the versions that disagree.
"""

from __future__ import annotations

import argparse
import json

from rich.text import Text

from tutor.commands.common import add_block_arguments, run_learner_block
from tutor.core.i18n import tr, tr_count
from tutor.core.settings import Settings
from tutor.present.console import console_for
from tutor.present.diagnosis import verdict_text
from tutor.present.graph import graph_tree, training_steps


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


def run(args: argparse.Namespace, settings: Settings) -> int:
    lang = settings.language
    _, result = run_learner_block(args, settings, capture_graph=True)
    graph = result.graph
    if args.json:
        print(json.dumps({"lesson": result.lesson, "status": result.status.value, "message": verdict_text(result, lang),
                          "graph": None if graph is None else graph.contract()}, ensure_ascii=False))
    elif graph is None:
        console_for().print(tr("graph.none", lang, message=verdict_text(result, lang)))
    else:
        console_for().print(graph_tree(graph, lang, scoped=not args.all, every_saved=args.saved))
        steps = training_steps(result)
        if steps > 1:
            console_for().print(Text(tr_count("graph.first_step", lang, steps)))
        console_for().print(Text(verdict_text(result, lang)))
    return 0 if graph is not None else 1

