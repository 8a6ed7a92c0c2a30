"""The autograd graph of one run, as plain data: what each node saved, and at which version.

The sandboxed child walks the graph from the loss just before `loss.backward()` and
writes it into its report; the tutor shows it as a tree. Nothing here imports torch.
"""

from __future__ import annotations

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
