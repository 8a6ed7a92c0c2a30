"""The autograd graph of one run, as plain data: what each node saved, and at which version.

The sandboxed child walks the graph from the loss just before `loss.backward()` and
writes it into its report; tutor/present/graph.py draws it as a tree. Nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field



class SavedTensorInfo(BaseModel):
    """One tensor a node saved for its backward (torch's `node._saved_<name>`)."""

    model_config = ConfigDict(frozen=True)

    name: str  # "input", "self", "other", "result", "weight"...
    shape: list[int]
    dtype: str  # e.g. "torch.float32"
    saved_version: int  # the tensor's version counter when the node saved it
    current_version: int  # its version counter now, just before backward
    error: str | None = None  # torch's message when reading it through the node raised

    @property
    def modified(self) -> bool:
        """Changed in place after it was saved: backward cannot use it."""
        return self.saved_version != self.current_version


class GraphNode(BaseModel):
    """One node of the tape: a backward function, or the `AccumulateGrad` of a parameter."""

    model_config = ConfigDict(frozen=True)

    id: int  # position in breadth-first order from the loss; the loss's node is 0
    name: str  # e.g. "NativeLayerNormBackward0", "AccumulateGrad"
    module: str | None = None  # the innermost module whose forward made it, e.g. "blocks.0.ln2"; "" is the model
    module_type: str | None = None  # that module's class, e.g. "LayerNorm"
    parameter: str | None = None  # for AccumulateGrad: the parameter it fills, e.g. "blocks.0.ln2.weight"
    saved: list[SavedTensorInfo] = Field(default_factory=list)
    next: list[int] = Field(default_factory=list)  # ids of the nodes backward goes to from here
    backward_order: int  # 1 for the first node backward runs, 2 for the next...
    in_target: bool = False  # made inside the code the lesson has the learner edit

    @property
    def broken(self) -> bool:
        """A saved tensor of this node was modified in place: its backward will raise."""
        return any(saved.modified for saved in self.saved)


class AutogradGraph(BaseModel):
    """The whole graph reachable from the loss, and which part is the lesson's."""

    model_config = ConfigDict(frozen=True)

    nodes: list[GraphNode]
    scope: list[str] = Field(default_factory=list)  # module paths of the lesson's target, e.g. ["blocks.0"]

    @property
    def broken(self) -> list[GraphNode]:
        return [node for node in self.nodes if node.broken]

    @property
    def first_failure(self) -> GraphNode | None:
        """The broken node backward reaches first: the one torch's error comes from."""
        return min(self.broken, key=lambda node: node.backward_order, default=None)

    def in_scope(self) -> list[GraphNode]:
        return [node for node in self.nodes if node.in_target]

    def contract(self) -> dict[str, object]:
        """The `graph --json` data: every node with its saved tensors and whether it is broken."""
        first = self.first_failure
        return {
            "scope": self.scope,
            "first_failure": None if first is None else first.id,
            "nodes": [
                {**node.model_dump(), "broken": node.broken,
                 "saved": [{**saved.model_dump(), "modified": saved.modified} for saved in node.saved]}
                for node in self.nodes
            ],
        }


@dataclass
class ModuleGroup:
    """The nodes one module made, and its submodules' groups, in the order backward reaches them."""

    path: str | None  # "" is the model itself; None holds nodes made outside any module
    module_type: str | None = None
    children: list[ModuleGroup | GraphNode] = field(default_factory=list)

    @property
    def first_reached(self) -> int:
        return min((_first_reached(child) for child in self.children), default=0)

    @property
    def broken(self) -> bool:
        return any(child.broken for child in self.children)


def _first_reached(item: ModuleGroup | GraphNode) -> int:
    return item.first_reached if isinstance(item, ModuleGroup) else item.backward_order


def outline(graph: AutogradGraph, *, scoped: bool = True) -> list[ModuleGroup]:
    """The graph grouped by module, for a tree view.

    Scoped: only the lesson's modules (e.g. `blocks.0`), one group each; otherwise, or
    when the lesson has no module scope, the whole model and what lies outside it.
    """
    nodes = graph.in_scope() if scoped else []
    roots = list(graph.scope) if nodes else [""]
    nodes = nodes or graph.nodes
    groups: dict[str | None, ModuleGroup] = {path: ModuleGroup(path) for path in roots}

    def group_of(path: str | None) -> ModuleGroup:
        if path not in groups:
            groups[path] = ModuleGroup(path)
            if path is not None:
                group_of(path.rpartition(".")[0] if "." in path else "").children.append(groups[path])
            else:
                roots.append(None)
        return groups[path]

    for node in nodes:
        group = group_of(node.module)
        group.module_type = group.module_type or node.module_type
        group.children.append(node)
    tops = [_tidy(groups[path]) for path in roots]
    return sorted(tops, key=_first_reached)


def _tidy(group: ModuleGroup) -> ModuleGroup:
    """Sort each group's children, and fold a group that only holds one subgroup (`blocks`)."""
    children = [_tidy(child) if isinstance(child, ModuleGroup) else child for child in group.children]
    children.sort(key=_first_reached)
    if len(children) == 1 and isinstance(children[0], ModuleGroup) and group.path:
        return children[0]
    group.children = children
    return group

