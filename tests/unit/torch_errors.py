"""Real torch error output, captured once, for the diagnosis tests.

Every snippet runs in one fresh interpreter (torch is imported once). Each
exception is printed with `traceback.print_exc()` on stderr between separator
lines, exactly as a crashing learner run would print it. Some snippets run code
from a file named `learner_block.py`, so their frames carry that name and the
line numbers below.
"""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import tempfile
from pathlib import Path

# The learner's block: a tiny GPT-like residual chain with both residuals in
# place, built from plain nn modules, plus a few other ways to fail.
LEARNER_BLOCK = '''\
import torch
import torch.nn as nn


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.ln1 = nn.LayerNorm(c)
        self.ln2 = nn.LayerNorm(c)
        self.attn = nn.Linear(c, c)
        self.mlp = nn.Linear(c, c)

    def forward(self, h):
        h.add_(self.attn(self.ln1(h)))
        h.add_(self.mlp(self.ln2(h)))
        return h


def residual():
    torch.manual_seed(0)
    tok = nn.Embedding(32, 64)
    pos = nn.Embedding(8, 64)
    idx = torch.randint(0, 32, (1, 8))
    h = tok(idx) + pos(torch.arange(8))
    out = Block(64)(h)
    out.sum().backward()


def past_block_size():
    pos = nn.Embedding(8, 64)
    return pos(torch.arange(9))


def wrapped_matmul():
    try:
        heads = torch.zeros(8, 32) @ torch.zeros(64, 192)
    except RuntimeError as error:
        raise ValueError("could not project the heads") from error


def typo_while_handling():
    try:
        scores = torch.zeros(8, 32) @ torch.zeros(64, 192)
    except RuntimeError:
        return undefined_name


def torch_while_handling():
    try:
        logits = torch.zeros(8, 32) @ torch.zeros(64, 192)
    except RuntimeError:
        return torch.zeros(1520).view(1, 8, 3, 64)


def divide():
    return 1 / 0
'''


def block_line(fragment: str) -> int:
    """The 1-based line of LEARNER_BLOCK holding `fragment` (which must be unique)."""
    hits = [n for n, row in enumerate(LEARNER_BLOCK.splitlines(), 1) if fragment in row]
    assert len(hits) == 1, (fragment, hits)
    return hits[0]


# name -> code. Code runs with torch, nn, F and `block()` (the learner's block,
# loaded from its file) in scope.
SNIPPETS: dict[str, str] = {
    "inplace_residual": "block()['residual']()",
    "inplace_residual_anomaly": "block()['residual']()",
    "inplace_leaf": (
        "x = torch.ones(5, requires_grad=True); y = x * x\n"
        "with torch.no_grad(): x.add_(1)\n"
        "y.sum().backward()"
    ),
    "inplace_0d": (
        "x = torch.tensor(2.0, requires_grad=True); y = x * x\n"
        "with torch.no_grad(): x.add_(1)\n"
        "y.backward()"
    ),
    "inplace_double": (
        "a = torch.ones(3, dtype=torch.double, requires_grad=True)\n"
        "b = a.exp(); b.add_(1); b.sum().backward()"
    ),
    "inplace_long": (
        "emb = nn.Embedding(4, 2); idx = torch.tensor([0, 1])\n"
        "out = emb(idx); idx.add_(1); out.sum().backward()"
    ),
    "inplace_no_forward_info": (
        "x = torch.ones(3, requires_grad=True); y = x.exp(); y.add_(1)\n"
        "with torch.autograd.detect_anomaly():\n"
        "    y.sum().backward()"
    ),
    "leaf_inplace": "x = torch.ones(5, requires_grad=True); y = 2 * x; x += 1",
    "view_leaf_inplace": "x = torch.ones(3, 4, requires_grad=True); x[:2, :] += 1",
    "mat1_mat2_shapes": "nn.Linear(64, 192)(torch.zeros(8, 32))",
    "size_of_tensor_a_b": "torch.zeros(2, 8) + torch.zeros(2, 10)",
    "bmm_batch2": "torch.zeros(2, 8, 16) @ torch.zeros(2, 8, 16)",
    "cross_entropy_batch": "F.cross_entropy(torch.zeros(8, 32), torch.zeros(1, dtype=torch.long))",
    "cross_entropy_unflattened": "F.cross_entropy(torch.zeros(1, 8, 32), torch.zeros(1, 8, dtype=torch.long))",
    "cross_entropy_multi_target": "F.cross_entropy(torch.zeros(8, 32), torch.zeros(8, 5))",
    "matmul_1d": "torch.zeros(4) @ torch.zeros(5)",
    "layer_norm_shape": "nn.LayerNorm(64)(torch.zeros(2, 32))",
    "cat_sizes": "torch.cat([torch.zeros(2, 3), torch.zeros(2, 4)])",
    "softmax_dim": "F.softmax(torch.zeros(3, 4), dim=2)",
    "view_stride": "torch.zeros(1, 8, 4, 16).transpose(1, 2).view(1, 4, 128)",
    "reshape_invalid": "torch.zeros(1520).view(1, 8, 3, 64)",
    "reshape_invalid_inferred": "torch.zeros(6).reshape(4, -1)",
    "linear_long": "nn.Linear(4, 4)(torch.zeros(3, 4, dtype=torch.long))",
    "matmul_long_float": "torch.zeros(3, 4, dtype=torch.long) @ torch.zeros(4, 4)",
    "bmm_long_float": "torch.zeros(2, 3, 4, dtype=torch.long) @ torch.zeros(2, 4, 4)",
    "embedding_float": "nn.Embedding(10, 4)(torch.zeros(3))",
    "cross_entropy_float_target": "F.cross_entropy(torch.zeros(8, 32), torch.zeros(8))",
    "inplace_cast": "t = torch.zeros(3, dtype=torch.long); t += 0.5",
    "float_indices": "torch.zeros(3)[torch.tensor([1.0])]",
    "embedding_index": "nn.Embedding(10, 4)(torch.tensor([11]))",
    "position_past_block": "block()['past_block_size']()",
    "tensor_index": "torch.zeros(3)[5]",
    "backward_twice": "x = torch.ones(3, requires_grad=True); y = (x * x).sum(); y.backward(); y.backward()",
    "no_grad_fn": "torch.ones(3).sum().backward()",
    "no_grad_fn_detached": "(torch.ones(3, requires_grad=True) * 2).sum().detach().backward()",
    "nonscalar_backward": "(torch.ones(3, requires_grad=True) * 2).backward()",
    # A mask's -1e9 written into the float16 scores autocast made, and the other types a value can overflow.
    "autocast_mask_overflow": (
        "with torch.autocast('cpu', dtype=torch.float16): "
        "(torch.ones(2, 2) @ torch.ones(2, 2)).masked_fill(torch.ones(2, 2, dtype=torch.bool), -1e9)"
    ),
    "bfloat16_fill_overflow": "torch.zeros(2, dtype=torch.bfloat16).fill_(1e39)",
    "int8_fill_overflow": "torch.zeros(3, dtype=torch.int8).fill_(300)",
    # a strict load after a module was renamed: nn.Sequential's `0` is `proj` in the saved dict
    "state_dict_renamed": (
        "model = nn.Sequential(nn.Linear(2, 2))\n"
        "model.load_state_dict({'proj.weight': torch.zeros(2, 2), 'proj.bias': torch.zeros(2)})"
    ),
    # a checkpoint that pickled an object of a class torch.load does not allow by default
    "weights_only_refused": (
        "import io, collections\n"
        "buffer = io.BytesIO()\n"
        "torch.save({'config': collections.OrderedDict(a=1), 'range': range(3)}, buffer)\n"
        "buffer.seek(0)\n"
        "torch.load(buffer, weights_only=True)"
    ),
    "chained_from": "block()['wrapped_matmul']()",
    "chained_name_error": "block()['typo_while_handling']()",
    "chained_both_torch": "block()['torch_while_handling']()",
    "python_error": "block()['divide']()",
    # A block that does not parse: compiled under the block's file name, as the sandbox does.
    "syntax_error": "compile('x = 1\\ny = (\\n', 'learner_block.py', 'exec')",
}
ANOMALY = {"inplace_residual_anomaly"}  # run under torch.autograd.set_detect_anomaly(True)

_BEGIN, _END = "<<<torch-errors-begin {}>>>", "<<<torch-errors-end {}>>>"

_RUNNER = '''\
import json, sys, traceback, warnings
warnings.simplefilter("always")
import torch
import torch.nn as nn
import torch.nn.functional as F
torch.set_num_threads(1)
job = json.load(sys.stdin)

def block():
    path = job["block"]
    with open(path, encoding="utf-8") as source:
        namespace = {"__name__": "learner_block"}
        exec(compile(source.read(), path, "exec"), namespace)
    return namespace

for name, code, anomaly in job["snippets"]:
    print(job["begin"].format(name), file=sys.stderr, flush=True)
    torch.autograd.set_detect_anomaly(anomaly)
    try:
        exec(compile(code, "<snippet " + name + ">", "exec"), {"torch": torch, "nn": nn, "F": F, "block": block})
    except BaseException:
        traceback.print_exc()
    else:
        print("NO EXCEPTION", file=sys.stderr)
    torch.autograd.set_detect_anomaly(False)
    print(job["end"].format(name), file=sys.stderr, flush=True)
'''


@functools.lru_cache(maxsize=1)
def capture() -> dict[str, str]:
    """{snippet name: its stderr}, from one real interpreter running every snippet."""
    with tempfile.TemporaryDirectory() as tmp:
        block = Path(tmp) / "learner_block.py"
        block.write_text(LEARNER_BLOCK, encoding="utf-8")
        job = {
            "block": str(block),
            "begin": _BEGIN,
            "end": _END,
            "snippets": [[name, code, name in ANOMALY] for name, code in SNIPPETS.items()],
        }
        proc = subprocess.run(
            [sys.executable, "-c", _RUNNER],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            timeout=240,
            cwd=tmp,
        )
    out: dict[str, str] = {}
    for name in SNIPPETS:
        begin, end = _BEGIN.format(name) + "\n", _END.format(name)
        start, stop = proc.stderr.find(begin), proc.stderr.find(end)
        if start < 0 or stop < 0:
            raise RuntimeError(f"snippet {name} printed no output:\n{proc.stderr[-3000:]}")
        out[name] = proc.stderr[start + len(begin):stop]
    return out


if __name__ == "__main__":  # print every capture, to read torch's messages by eye
    for snippet, text in capture().items():
        print(f"===== {snippet}\n{text}")
