"""Walking the autograd graph from the loss, in the child, before backward frees it.

Each node's saved tensors come from torch's own `_raw_saved_<name>` attributes. Unpacking
one runs the same version check backward runs, so a tensor modified in place since it
was saved raises torch's version error here too: its message gives the version the node
saved and the version the tensor is at now. A tensor that unpacks cleanly is, by that
same check, still at the version it was saved at.

Nodes are named after the module that made them: global forward hooks record, for each
module call, the graph nodes of its inputs and of its outputs; the nodes between the two
belong to the innermost module that reached them.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import torch
from torch import nn

from tutor.core.diagnose import diagnose
from tutor.core.graph import AutogradGraph, GraphNode, SavedTensorInfo
from tutor.sandbox.observe import Phases

Node = Any  # torch's graph nodes (torch._C._functions.*, torch.autograd.graph.Node) share no usable base class

_RAW_PREFIX = "_raw_saved_"


@dataclass
class ModuleCall:
    module: nn.Module
    depth: int  # 0 for a module called outside any other module
    inputs: set[Node]  # graph nodes of the tensors it was given, when it was called
    outputs: list[Node]  # graph nodes of the tensors it returned


class GraphCapture:
    """Traces module calls while active, and describes the graph at the first backward.

    `owner` is what the lesson's target belongs to (a class such as `Block`, or a module
    of functions): the modules of that class are the graph's scope.
    """

    def __init__(self, owner: object, phases: Phases, *, enabled: bool = True) -> None:
        self.graph: AutogradGraph | None = None
        self._owner = owner
        self._enabled = enabled
        self._calls: list[ModuleCall] = []
        self._stack: list[set[Node]] = []
        self._handles: list[Any] = []
        self._backward = torch.autograd.backward
        if enabled:
            phases.before_backward.append(self._before_backward)

    def __enter__(self) -> GraphCapture:
        if self._enabled:
            self._handles = [
                nn.modules.module.register_module_forward_pre_hook(self._called),
                nn.modules.module.register_module_forward_hook(self._returned),
            ]
            # Lessons that train call backward inside minigpt's or the learner's own loop, not
            # through the scenario's phases: the first backward, wherever it is called, is the one shown.
            self._backward = torch.autograd.backward
            torch.autograd.backward = self._first_backward
        return self

    def _first_backward(self, tensors: Any, *args: Any, **kwargs: Any) -> Any:
        backward = self._backward
        if isinstance(tensors, torch.Tensor) and tensors.grad_fn is not None:
            self._before_backward(tensors)
        return backward(tensors, *args, **kwargs)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._stop()

    def _called(self, module: nn.Module, args: tuple[Any, ...]) -> None:
        self._stack.append({t.grad_fn for t in _tensors(args) if t.grad_fn is not None})

    def _returned(self, module: nn.Module, args: tuple[Any, ...], output: Any) -> None:
        inputs = self._stack.pop()
        outputs = [t.grad_fn for t in _tensors(output) if t.grad_fn is not None]
        self._calls.append(ModuleCall(module, len(self._stack), inputs, outputs))

    def _before_backward(self, loss: torch.Tensor) -> None:
        if self.graph is None and loss.grad_fn is not None:
            self.graph = describe(loss.grad_fn, self._calls, self._owner)
        self._stop()  # one graph is enough; later steps would only hold memory

    def _stop(self) -> None:
        if getattr(torch.autograd, "backward", None) == self._first_backward:
            torch.autograd.backward = self._backward
        for handle in self._handles:
            handle.remove()
        self._handles = []
        self._calls = []
        self._stack = []


def _tensors(value: Any) -> Iterator[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _tensors(item)


def describe(root: Node, calls: list[ModuleCall], owner: object) -> AutogradGraph:
    nodes = _breadth_first(root)
    ids = {node: index for index, node in enumerate(nodes)}
    names = _module_names(calls)
    owners = _owning_modules(calls)
    parameters = {id(p): name for module, prefix in names.items() for name, p in _own_parameters(module, prefix)}
    modules_by_path = {path: module for module, path in names.items()}
    scope = sorted(path for module, path in names.items() if isinstance(owner, type) and isinstance(module, owner))
    order = _backward_order(root, nodes)
    described = []
    for node in nodes:
        parameter = parameters.get(id(node.variable)) if hasattr(node, "variable") else None
        if parameter is not None:
            path: str | None = parameter.rpartition(".")[0]
        else:
            module = owners.get(node)
            path = None if module is None else names.get(module)
        kind = modules_by_path.get(path) if path is not None else None
        described.append(GraphNode(
            id=ids[node],
            name=node.name().rpartition("::")[2],  # "torch::autograd::AccumulateGrad" -> "AccumulateGrad"
            module=path,
            module_type=None if kind is None else type(kind).__name__,
            parameter=parameter,
            saved=list(_saved_tensors(node)),
            next=[ids[child] for child, _ in node.next_functions if child is not None],
            backward_order=order[node],
            in_target=path is not None and any(path == s or path.startswith(s + ".") for s in scope),
        ))
    return AutogradGraph(nodes=described, scope=scope)


def _breadth_first(root: Node) -> list[Node]:
    seen = {root}
    ordered = [root]
    for node in ordered:  # grows while it is walked
        for child, _ in node.next_functions:
            if child is not None and child not in seen:
                seen.add(child)
                ordered.append(child)
    return ordered


def _backward_order(root: Node, nodes: list[Node]) -> dict[Node, int]:
    """The order backward runs the nodes in: a node is ready once every node that feeds
    it has run, and among ready nodes torch runs the most recently created first."""
    waiting = dict.fromkeys(nodes, 0)
    for node in nodes:
        for child, _ in node.next_functions:
            if child is not None:
                waiting[child] += 1
    ready = [(-root._sequence_nr(), 0, root)]
    order: dict[Node, int] = {}
    pushed = 1
    while ready:
        _, _, node = heapq.heappop(ready)
        order[node] = len(order) + 1
        for child, _ in node.next_functions:
            if child is None:
                continue
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, (-child._sequence_nr(), pushed, child))
                pushed += 1
    return order


def _module_names(calls: list[ModuleCall]) -> dict[nn.Module, str]:
    """Dotted paths of every module under the outermost ones called (the model is "")."""
    names: dict[nn.Module, str] = {}
    for call in calls:
        if call.depth == 0:
            for path, module in call.module.named_modules():
                names.setdefault(module, path)
    return names


def _own_parameters(module: nn.Module, prefix: str) -> Iterator[tuple[str, nn.Parameter]]:
    for name, parameter in module.named_parameters(recurse=False):
        yield (f"{prefix}.{name}" if prefix else name), parameter


def _owning_modules(calls: list[ModuleCall]) -> dict[Node, nn.Module]:
    """Each node's innermost module: calls end inner first, so inner modules claim first."""
    owners: dict[Node, nn.Module] = {}
    for call in calls:
        seen = set(call.inputs)
        pending = [node for node in call.outputs if node not in seen]
        seen.update(pending)
        while pending:
            node = pending.pop()
            owners.setdefault(node, call.module)
            for child, _ in node.next_functions:
                if child is not None and child not in seen:
                    seen.add(child)
                    pending.append(child)
    return owners


def _saved_tensors(node: Node) -> Iterator[SavedTensorInfo]:
    for attribute in sorted(a for a in dir(node) if a.startswith(_RAW_PREFIX)):
        name = attribute[len(_RAW_PREFIX):]
        raw = getattr(node, attribute)
        group = raw if isinstance(raw, (tuple, list)) else None
        for index, item in enumerate(group if group is not None else [raw]):
            try:
                tensor = item.data  # the saved tensor as it is now, without the version check
            except RuntimeError:  # nothing was saved under this name (e.g. an absent bias)
                continue
            if isinstance(tensor, torch.Tensor):
                label = name if group is None else f"{name}[{index}]"
                yield _checked(label, tensor, _version_error(node, name, item, group is not None))


def _version_error(node: Node, name: str, item: Any, grouped: bool) -> str | None:
    """torch's version error for reading this saved tensor the way backward does, if any.

    A single tensor is read through the node (`node._saved_input`), as backward reads it.
    A tensor of a group (a custom Function's `saved_tensors`) is unpacked alone, which
    works for the inputs it saved; an output needs its node, so then the group is read."""
    readers = [item.unpack] if grouped else []
    readers.append(lambda: getattr(node, "saved_tensors" if name == "tensors" and grouped else f"_saved_{name}"))
    for read in readers:
        try:
            read()
            return None
        except RuntimeError as error:
            if diagnose(f"RuntimeError: {error}").version_expected is not None:
                return str(error)
    return None


def _checked(name: str, tensor: torch.Tensor, error: str | None) -> SavedTensorInfo:
    current = tensor._version
    saved = current  # unpacked cleanly: by torch's own check, still the version it was saved at
    if error is not None:
        read = diagnose(f"RuntimeError: {error}")
        if read.shape == list(tensor.shape) and read.version_found == current:
            saved = read.version_expected if read.version_expected is not None else current
        else:
            error = None  # the group's error is about another of its tensors
    return SavedTensorInfo(name=name, shape=list(tensor.shape), dtype=str(tensor.dtype),
                           saved_version=saved, current_version=current, error=error)
