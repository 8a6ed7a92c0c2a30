"""Property tests: the parser never raises, and reads torch's facts through noise."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tutor.core.diagnose import diagnose
from tutor.core.results import Diagnosis, DiagnosisKind

try:  # tests/unit may or may not be a package
    from . import torch_errors
except ImportError:
    import torch_errors

K = DiagnosisKind
TB_HEADER = "Traceback (most recent call last):"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def captured() -> dict[str, str]:
    """Real torch stderr (captured once per session; not a fixture, so Hypothesis does not print it)."""
    return torch_errors.capture()


def assert_well_formed(diagnosis: Diagnosis) -> None:
    assert isinstance(diagnosis, Diagnosis)
    diagnosis.model_dump_json()  # the contract can always be written out
    if diagnosis.kind is not K.INPLACE_VERSION:
        assert diagnosis.version_found is diagnosis.version_expected is diagnosis.op is None
    if diagnosis.exception is not None:
        assert "." not in diagnosis.exception


# --- (a) random text --------------------------------------------------------

FRAGMENTS = [
    TB_HEADER,
    "\n",
    '  File "/tmp/s/learner_block.py", line 3, in forward\n',
    '  File "/usr/lib/torch/autograd/graph.py", line 979, in _engine_run_backward\n',
    "    h.add_(self.mlp(self.ln2(h)))\n",
    "RuntimeError: ",
    "torch.OutOfMemoryError: ",
    "one of the variables needed for gradient computation has been modified by an inplace operation: ",
    "[torch.FloatTensor [1, 8, 64]]",
    ", which is output 0 of Add,",
    " is at version 2; expected version 1 instead.",
    "shape '[1, 8, 3, 64]' is invalid for input of size 1520",
    "index out of range in self",
    "UserWarning: Error detected in NativeLayerNormBackward0. Traceback of forward call that caused the error:\n",
    " (Triggered internally at /x/python_anomaly_mode.cpp:122.)\n",
    "\nDuring handling of the above exception, another exception occurred:\n\n",
    "\nThe above exception was the direct cause of the following exception:\n\n",
    "/x/warnings.py:1: UserWarning: noise\n",
    "SyntaxError: bad\n",
    "    ^^^^\n",
]


@FUZZ
@given(st.text())
def test_random_text_never_raises(text: str) -> None:
    assert_well_formed(diagnose(text))


@FUZZ
@given(st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=12), max_size=40).map("".join))
def test_traceback_shaped_junk_never_raises(text: str) -> None:
    assert_well_formed(diagnose(text))


# --- (b) real captures, mutated outside their key phrase -----------------------

# name -> (the key phrase, which must stay intact; the fields it alone determines).
# Each key ends at a word boundary, so an insertion right after it cannot extend a number.
KEYS: dict[str, tuple[str, dict[str, object]]] = {
    "inplace_residual": (
        "[torch.FloatTensor [1, 8, 64]], which is output 0 of Add, is at version 2; expected version 1 instead",
        dict(kind=K.INPLACE_VERSION, tensor_type="torch.FloatTensor", shape=[1, 8, 64], op="Add",
             output_index=0, version_found=2, version_expected=1),
    ),
    "inplace_leaf": (
        "[torch.FloatTensor [5]] is at version 1; expected version 0 instead",
        dict(kind=K.INPLACE_VERSION, tensor_type="torch.FloatTensor", shape=[5], version_found=1,
             version_expected=0),
    ),
    "inplace_0d": (
        "[torch.FloatTensor []] is at version 1; expected version 0 instead",
        dict(kind=K.INPLACE_VERSION, shape=[], version_found=1, version_expected=0),
    ),
    "inplace_double": (
        "[torch.DoubleTensor [3]], which is output 0 of Exp, is at version 1; expected version 0 instead",
        dict(kind=K.INPLACE_VERSION, tensor_type="torch.DoubleTensor", shape=[3], op="Exp"),
    ),
    "reshape_invalid": (
        "shape '[1, 8, 3, 64]' is invalid for input of size 1520",
        dict(kind=K.RESHAPE_INVALID, shape=[1, 8, 3, 64]),
    ),
    "embedding_float": (
        "'indices' to have one of the following scalar types: Long, Int; but got torch.FloatTensor instead",
        dict(kind=K.DTYPE_MISMATCH, tensor_type="torch.FloatTensor"),
    ),
    "view_leaf_inplace": (
        "a view of a leaf Variable that requires grad is being used in an in-place",
        dict(kind=K.VIEW_LEAF_INPLACE),
    ),
    "mat1_mat2_shapes": ("mat1 and mat2 shapes cannot be multiplied", dict(kind=K.SHAPE_MISMATCH)),
    "view_stride": ("view size is not compatible with input tensor's size and stride", dict(kind=K.VIEW_STRIDE)),
    "embedding_index": ("index out of range in self", dict(kind=K.INDEX_ERROR)),
    "backward_twice": ("Trying to backward through the graph a second time", dict(kind=K.BACKWARD_TWICE)),
    "no_grad_fn": ("does not require grad and does not have a grad_fn", dict(kind=K.NO_GRAD_FN)),
    "nonscalar_backward": ("grad can be implicitly created only for scalar outputs", dict(kind=K.NONSCALAR_BACKWARD)),
}


def split_capture(text: str, key: str) -> tuple[str, str, str, str, str]:
    """(before the traceback, its frames, exception name, message before key, message after key)."""
    head = text.rindex(TB_HEADER)
    rows = text[head + len(TB_HEADER) + 1:].split("\n")
    at = next(i for i, row in enumerate(rows) if row and not row[0].isspace())
    name, _, message = rows[at].partition(": ")
    before, found, after = message.partition(key)
    assert found, (key, message)
    return text[:head], "\n".join(rows[:at]), name, before, after


# Inserted text has no ':' so it cannot forge a warning line or a chaining marker, and none of a
# paste's own marks (`>>`, `---`), whose line ends a message by design.
IN_LINE = st.text(st.characters(blacklist_characters=":<>=-*#`\n", blacklist_categories=("Cs",)), max_size=20)
INSERTED = st.lists(IN_LINE, min_size=1, max_size=3).map("\n".join)
NOISE_LINES = st.lists(
    st.sampled_from([
        "/usr/lib/torch/_subclasses/functional_tensor.py:295: UserWarning: Failed to initialize NumPy",
        "  cpu = _conversion_method_template(device=torch.device(\"cpu\"))",
        "sys:1: ResourceWarning: unclosed file",
        "step 3: loss 2.1034",
        "<string>:2: DeprecationWarning: old api",
        "",
    ]) | st.text(max_size=40).map(lambda s: s.replace("\n", " ")),
    max_size=5,
).map(lambda rows: "".join(row + "\n" for row in rows))


@st.composite
def mutated(draw: st.DrawFn, text: str, inserted: st.SearchStrategy[str] = INSERTED) -> str:
    """`text` after a few random insertions, deletions and case swaps."""
    for _ in range(draw(st.integers(0, 4))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + 15)))
        operation = draw(st.sampled_from(["insert", "delete", "swapcase"]))
        if operation == "insert":
            text = text[:start] + draw(inserted) + text[start:]
        elif operation == "delete":
            text = text[:start] + text[end:]
        else:
            text = text[:start] + text[start:end].swapcase() + text[end:]
    return text


@FUZZ
@given(data=st.data(), name=st.sampled_from(sorted(KEYS)))
def test_mutated_real_errors_keep_their_facts(data: st.DataObject, name: str) -> None:
    key, facts = KEYS[name]
    pre, frames, exception, before, after = split_capture(captured()[name], key)
    head = data.draw(NOISE_LINES) + data.draw(mutated(pre))
    if head and not head.endswith("\n"):
        head += "\n"
    text = (
        head + TB_HEADER + "\n" + data.draw(mutated(frames, IN_LINE)) + "\n" + exception + ": "
        + data.draw(mutated(before)) + key + data.draw(mutated(after)) + "\n" + data.draw(NOISE_LINES)
    )
    key_end = text.rindex(key) + len(key)
    cut = data.draw(st.none() | st.integers(0, len(text)))
    if cut is not None:
        text = text[:cut]
    diagnosis = diagnose(text)
    assert_well_formed(diagnosis)
    if cut is None or cut >= key_end:
        assert {field: getattr(diagnosis, field) for field in facts} == facts


@FUZZ
@given(data=st.data(), name=st.sampled_from(sorted(KEYS)))
def test_real_errors_cut_anywhere_never_raise(data: st.DataObject, name: str) -> None:
    text = captured()[name]
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    assert_well_formed(diagnose(text[start:end]))


# --- (c) text that is barely text -------------------------------------------------

ODD_CHARACTERS = st.characters(categories=["Cs", "Cc", "Co", "Zl", "Zp"]) | st.sampled_from("\x00\ufeff\ufffd\r\x85")


@FUZZ
@given(st.text(ODD_CHARACTERS, max_size=200))
def test_surrogates_and_control_characters_never_raise(text: str) -> None:
    assert_well_formed(diagnose(text))


@FUZZ
@given(st.binary(max_size=300))
def test_undecodable_bytes_never_raise(raw: bytes) -> None:
    assert_well_formed(diagnose(raw.decode("utf-8", errors="surrogateescape")))
    assert_well_formed(diagnose(raw))  # type: ignore[arg-type]


@FUZZ
@given(noise=st.text(ODD_CHARACTERS, max_size=50), name=st.sampled_from(sorted(KEYS)))
def test_odd_characters_around_a_real_error(noise: str, name: str) -> None:
    key, facts = KEYS[name]
    text = noise + "\n" + captured()[name] + noise.replace("\n", " ")
    diagnosis = diagnose(text)
    assert_well_formed(diagnosis)
    assert diagnosis.kind is facts["kind"]
