"""The parser on error outputs people posted in public bug reports and Q&A pages.

Each file of tests/corpus/real_errors holds one paste as its poster wrote it, under a header:
`# source:` (where it was posted), `# form:` (what makes it hard), `# expect:` (the fields the
parser must read, as JSON), then a `---` line. Fields the expectation does not name must be
None: a field torch did not state is never guessed. `message` is checked when named, and
`frame` (path:line) names the learner's own frame that `explain` must point at.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tutor.core.diagnose import read_error
from tutor.core.explain import learner_frame
from tutor.core.results import Diagnosis

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "real_errors"
FILES = sorted(CORPUS.glob("*.txt"))
CHECKED = ("kind", "exception", "tensor_type", "shape", "op", "printed_op", "output_index",
           "version_found", "version_expected", "failed_backward", "line")


def load(path: Path) -> tuple[dict[str, str], dict[str, object], str]:
    head, separator, text = path.read_text(encoding="utf-8").partition("\n---\n")
    assert separator, f"{path.name}: no '---' line after the header"
    header = dict(row[2:].split(": ", 1) for row in head.splitlines())
    return header, json.loads(header["expect"]), text


def test_the_corpus_is_large_and_covers_every_form() -> None:
    assert len(FILES) >= 60
    kinds = Counter(load(path)[1]["kind"] for path in FILES)
    for kind in ("inplace_version", "device_mismatch", "dtype_mismatch", "shape_mismatch", "index_error",
                 "device_assert", "unknown"):
        assert kinds[kind] >= 1, kind
    texts = "\n".join(load(path)[2] for path in FILES)
    for form in ("[torch.cuda.FloatTensor", "[torch.cuda.HalfTensor", "[CUDABFloat16Type", "TBackward,",
                 "ReluBackward0", "ClampBackward", "[rank0]:", "[rank1]:", "what():", "expected device cuda:2",
                 "expected backend CUDA", "index out of range at /pytorch/aten/src/TH/",
                 "IndexError: Target 117 is out of bounds.", "stack expects each tensor to be equal size",
                 "Assertion `srcIndex < srcSelectDimSize` failed", "Assertion `t >= 0 && t < n_classes` failed",
                 "Original Traceback", "wandb:", "[Finished in"):
        assert form in texts, form


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_real_error(path: Path) -> None:
    header, expected, text = load(path)
    assert header["source"].startswith("https://"), "every case names where it was posted"
    reading = read_error(text)
    wanted = {name: expected.get(name) for name in CHECKED}
    assert {name: getattr(reading.diagnosis, name) for name in CHECKED} == {
        **Diagnosis().model_dump(include=set(CHECKED)), **{k: v for k, v in wanted.items() if v is not None},
        "kind": expected["kind"],
    }
    if "message" in expected:
        assert reading.diagnosis.message == expected["message"]
    if reading.diagnosis.message is not None:
        assert reading.diagnosis.message.strip(), "a message is never only blanks"
    if "frame" in expected:
        frame = learner_frame(reading.frames)
        assert frame is not None and f"{frame.path}:{frame.line}" == expected["frame"]
