"""The graph tab: the autograd graph of the last run as a navigable tree, grouped by module.

Scoped to the lesson's block; `w` switches to the whole graph and back. The nodes whose
saved tensors were modified in place are red and open, with the versions that disagree.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import var
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from tutor.core.graph import AutogradGraph, outline
from tutor.core.i18n import Wording, say, tr, tr_count
from tutor.present.graph import add_outline, broken_note, graph_title
from tutor.ui.keys import verb


class GraphView(Vertical):
    DEFAULT_CSS = """
    GraphView { height: 1fr; }
    GraphView > #graph-summary { height: auto; padding: 0 1; }
    GraphView > #graph-message { height: auto; padding: 0 1; }
    GraphView > Tree { height: 1fr; }
    """
    BINDINGS = [verb("w", "graph_scope")]  # the lesson screen has it too, for when the graph is not focused
    language: var[str] = var("en", init=False)

    def __init__(self, graph: AutogradGraph | None = None, language: str = "en", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.set_reactive(GraphView.language, language)
        self.graph = graph
        self.scoped = True
        self.stopped: Wording | None = None  # why the last run has no graph (None: no run yet)
        self.steps = 0  # how many steps the last run trained for: its graph is the first step's

    def compose(self) -> ComposeResult:
        yield Static(id="graph-summary")
        yield Static(id="graph-message")  # wraps, where a tree label would be cut
        yield Tree[None]("", id="graph-tree")

    def on_mount(self) -> None:
        self._draw()

    def watch_language(self) -> None:
        if self.is_mounted:
            self._draw()

    def show(self, graph: AutogradGraph | None, language: str | None = None, *, stopped: Wording | None = None,
             steps: int = 0) -> None:
        """Draw another run's graph (None: the run stopped before backward, for the reason `stopped`,
        said again in each language the pane is drawn in)."""
        self.graph, self.stopped, self.steps = graph, stopped, steps
        self.set_reactive(GraphView.language, language or self.language)
        self._draw()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "graph_scope":
            return self.graph is not None and bool(self.graph.scope)
        return True

    def action_graph_scope(self) -> None:
        self.scoped = not self.scoped
        self._draw()

    def _draw(self) -> None:
        tree: Tree[None] = self.query_one(Tree)
        summary = self.query_one("#graph-summary", Static)
        message = self.query_one("#graph-message", Static)
        tree.clear()
        tree.show_root = self.graph is not None  # the tree stays, empty, so `t` can always focus the pane
        if self.graph is None:
            tree.root.set_label("")
            message.update(Text(tr("graph.empty", self.language) if self.stopped is None
                                else tr("graph.none", self.language, message=say(self.stopped, self.language))))
            summary.update("")
            summary.display = False
            message.display = True
            return
        message.update(Text(tr_count("graph.first_step", self.language, self.steps)) if self.steps > 1 else "")
        message.display = self.steps > 1
        summary.display = True
        groups = outline(self.graph, scoped=self.scoped)
        tree.root.set_label(Text(graph_title(self.graph, groups, self.language), style="bold"))
        add_outline(tree.root, groups, self.graph, self.language,
                    lambda parent, label, expanded: parent.add(label, expand=expanded))
        _only_branches_expand(tree.root)
        tree.root.expand()
        summary.update(Text(f"{broken_note(self.graph, self.language)} {self._scope_hint()}"))

    def _scope_hint(self) -> str:
        if not self.graph or not self.graph.scope or not self.graph.in_scope():
            return ""
        key = "graph.scoped_hint_key" if self.scoped else "graph.whole_hint_key"
        return tr(key, self.language, scope=", ".join(self.graph.scope))


def _only_branches_expand(node: TreeNode[None]) -> None:
    for child in node.children:
        child.allow_expand = bool(child.children)
        _only_branches_expand(child)
