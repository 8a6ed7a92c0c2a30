"""The diagnosis parser, on torch's real stderr and on hand-made edge cases."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.core.diagnose import diagnose, read_error
from tutor.core.job import BLOCK_FILENAME
from tutor.core.results import Diagnosis, DiagnosisKind

try:  # tests/unit may or may not be a package
    from . import torch_errors
except ImportError:
    import torch_errors

K = DiagnosisKind
TB = "Traceback (most recent call last):\n"
line = torch_errors.block_line


@pytest.fixture(scope="session")
def captured() -> dict[str, str]:
    return torch_errors.capture()


def expect(kind: DiagnosisKind, exception: str, **fields: object) -> dict[str, object]:
    """Every field of the Diagnosis but the message; unnamed fields must be None. torch 2.x prints
    the node without its Backward suffix, so the printed op is the op."""
    fields.setdefault("printed_op", fields.get("op"))
    return {**Diagnosis(kind=kind, exception=exception).model_dump(exclude={"message"}), **fields}


# name -> (the fields, the start of torch's message)
CASES: dict[str, tuple[dict[str, object], str]] = {
    "inplace_residual": (
        expect(K.INPLACE_VERSION, "RuntimeError", tensor_type="torch.FloatTensor", shape=[1, 8, 64],
               op="Add", output_index=0, version_found=2, version_expected=1,
               line=line("out.sum().backward()")),
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        "[torch.FloatTensor [1, 8, 64]], which is output 0 of Add, is at version 2; expected version 1 "
        "instead. Hint: enable anomaly detection",
    ),
    "inplace_residual_anomaly": (
        expect(K.INPLACE_VERSION, "RuntimeError", tensor_type="torch.FloatTensor", shape=[1, 8, 64],
               op="Add", output_index=0, version_found=2, version_expected=1,
               failed_backward="NativeLayerNormBackward0", line=line("self.ln2(h)")),
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        "[torch.FloatTensor [1, 8, 64]], which is output 0 of Add, is at version 2; expected version 1 "
        "instead. Hint: the backtrace further above shows the operation",
    ),
    "inplace_leaf": (
        expect(K.INPLACE_VERSION, "RuntimeError", tensor_type="torch.FloatTensor", shape=[5],
               version_found=1, version_expected=0),
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        "[torch.FloatTensor [5]] is at version 1; expected version 0 instead.",
    ),
    "inplace_0d": (
        expect(K.INPLACE_VERSION, "RuntimeError", tensor_type="torch.FloatTensor", shape=[],
               version_found=1, version_expected=0),
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        "[torch.FloatTensor []] is at version 1; expected version 0 instead.",
    ),
    "inplace_double": (
        expect(K.INPLACE_VERSION, "RuntimeError", tensor_type="torch.DoubleTensor", shape=[3],
               op="Exp", output_index=0, version_found=1, version_expected=0),
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        "[torch.DoubleTensor [3]], which is output 0 of Exp, is at version 1; expected version 0",
    ),
    "inplace_long": (
        expect(K.INPLACE_VERSION, "RuntimeError", tensor_type="torch.LongTensor", shape=[2],
               version_found=1, version_expected=0),
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        "[torch.LongTensor [2]] is at version 1; expected version 0 instead.",
    ),
    "inplace_no_forward_info": (  # anomaly mode switched on for backward only
        expect(K.INPLACE_VERSION, "RuntimeError", tensor_type="torch.FloatTensor", shape=[3],
               op="Exp", output_index=0, version_found=1, version_expected=0,
               failed_backward="ExpBackward0"),
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        "[torch.FloatTensor [3]], which is output 0 of Exp",
    ),
    "leaf_inplace": (
        expect(K.LEAF_INPLACE, "RuntimeError"),
        "a leaf Variable that requires grad is being used in an in-place operation.",
    ),
    "view_leaf_inplace": (
        expect(K.VIEW_LEAF_INPLACE, "RuntimeError"),
        "a view of a leaf Variable that requires grad is being used in an in-place operation.",
    ),
    "mat1_mat2_shapes": (
        expect(K.SHAPE_MISMATCH, "RuntimeError"),
        "mat1 and mat2 shapes cannot be multiplied (8x32 and 64x192)",
    ),
    "size_of_tensor_a_b": (
        expect(K.SHAPE_MISMATCH, "RuntimeError"),
        "The size of tensor a (8) must match the size of tensor b (10) at non-singleton dimension 1",
    ),
    "bmm_batch2": (
        expect(K.SHAPE_MISMATCH, "RuntimeError"),
        "Expected size for first two dimensions of batch2 tensor to be: [2, 16] but got: [2, 8].",
    ),
    "cross_entropy_batch": (
        expect(K.SHAPE_MISMATCH, "ValueError"),
        "Expected input batch_size (8) to match target batch_size (1).",
    ),
    "cross_entropy_unflattened": (
        expect(K.SHAPE_MISMATCH, "RuntimeError"),
        "Expected target size [1, 32], got [1, 8]",
    ),
    "cross_entropy_multi_target": (
        expect(K.SHAPE_MISMATCH, "RuntimeError"),
        "0D or 1D target tensor expected, multi-target not supported",
    ),
    "matmul_1d": (
        expect(K.SHAPE_MISMATCH, "RuntimeError"),
        "inconsistent tensor size, expected tensor [4] and src [5] to have the same number of elements",
    ),
    "layer_norm_shape": (
        expect(K.SHAPE_MISMATCH, "RuntimeError"),
        "Given normalized_shape=[64], expected input with shape [*, 64], but got input of size[2, 32]",
    ),
    "cat_sizes": (
        expect(K.SHAPE_MISMATCH, "RuntimeError"),
        "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 4",
    ),
    "softmax_dim": (
        expect(K.SHAPE_MISMATCH, "IndexError"),
        "Dimension out of range (expected to be in range of [-2, 1], but got 2)",
    ),
    "view_stride": (
        expect(K.VIEW_STRIDE, "RuntimeError"),
        "view size is not compatible with input tensor's size and stride (at least one dimension spans "
        "across two contiguous subspaces). Use .reshape(...) instead.",
    ),
    "reshape_invalid": (
        expect(K.RESHAPE_INVALID, "RuntimeError", shape=[1, 8, 3, 64]),
        "shape '[1, 8, 3, 64]' is invalid for input of size 1520",
    ),
    "reshape_invalid_inferred": (
        expect(K.RESHAPE_INVALID, "RuntimeError", shape=[4, -1]),
        "shape '[4, -1]' is invalid for input of size 6",
    ),
    "linear_long": (
        expect(K.DTYPE_MISMATCH, "RuntimeError"),
        "mat1 and mat2 must have the same dtype, but got Long and Float",
    ),
    "matmul_long_float": (
        expect(K.DTYPE_MISMATCH, "RuntimeError"),
        "expected m1 and m2 to have the same dtype, but got: long int != float",
    ),
    "bmm_long_float": (
        expect(K.DTYPE_MISMATCH, "RuntimeError"),
        "expected scalar type Long but found Float",
    ),
    "embedding_float": (
        expect(K.DTYPE_MISMATCH, "RuntimeError", tensor_type="torch.FloatTensor"),
        "Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int; "
        "but got torch.FloatTensor instead (while checking arguments for embedding)",
    ),
    "cross_entropy_float_target": (
        expect(K.DTYPE_MISMATCH, "RuntimeError"),
        "expected target dtype to be Long or Byte, but got Float",
    ),
    "inplace_cast": (
        expect(K.DTYPE_MISMATCH, "RuntimeError"),
        "result type Float can't be cast to the desired output type Long",
    ),
    "float_indices": (
        expect(K.DTYPE_MISMATCH, "IndexError"),
        "tensors used as indices must be long, int, byte or bool tensors",
    ),
    "embedding_index": (expect(K.INDEX_ERROR, "IndexError"), "index out of range in self"),
    "position_past_block": (
        expect(K.INDEX_ERROR, "IndexError", line=line("pos(torch.arange(9))")),
        "index out of range in self",
    ),
    "tensor_index": (
        expect(K.INDEX_ERROR, "IndexError"),
        "index 5 is out of bounds for dimension 0 with size 3",
    ),
    "backward_twice": (
        expect(K.BACKWARD_TWICE, "RuntimeError"),
        "Trying to backward through the graph a second time (or directly access saved tensors after they "
        "have already been freed).",
    ),
    "no_grad_fn": (
        expect(K.NO_GRAD_FN, "RuntimeError"),
        "element 0 of tensors does not require grad and does not have a grad_fn",
    ),
    "no_grad_fn_detached": (
        expect(K.NO_GRAD_FN, "RuntimeError"),
        "element 0 of tensors does not require grad and does not have a grad_fn",
    ),
    "nonscalar_backward": (
        expect(K.NONSCALAR_BACKWARD, "RuntimeError"),
        "grad can be implicitly created only for scalar outputs",
    ),
    "autocast_mask_overflow": (
        expect(K.VALUE_OVERFLOW, "RuntimeError", dtype="Half"),
        "value cannot be converted to type c10::Half without overflow",
    ),
    "bfloat16_fill_overflow": (
        expect(K.VALUE_OVERFLOW, "RuntimeError", dtype="BFloat16"),
        "value cannot be converted to type c10::BFloat16 without overflow",
    ),
    "int8_fill_overflow": (
        expect(K.VALUE_OVERFLOW, "RuntimeError", dtype="int8_t"),
        "value cannot be converted to type int8_t without overflow",
    ),
    "state_dict_renamed": (
        expect(K.STATE_DICT_MISMATCH, "RuntimeError", missing_keys=["0.weight", "0.bias"],
               unexpected_keys=["proj.weight", "proj.bias"]),
        "Error(s) in loading state_dict for Sequential:",
    ),
    "weights_only_refused": (
        expect(K.WEIGHTS_ONLY_REFUSED, "UnpicklingError", refused_global="range"),
        "Weights only load failed.",
    ),
    # `raise ValueError(...) from error`: the torch error it wraps is the diagnosis.
    "chained_from": (
        expect(K.SHAPE_MISMATCH, "RuntimeError", line=line("heads = ")),
        "mat1 and mat2 shapes cannot be multiplied (8x32 and 64x192)",
    ),
    # A NameError while handling a torch error: the torch error is the diagnosis.
    "chained_name_error": (
        expect(K.SHAPE_MISMATCH, "RuntimeError", line=line("scores = ")),
        "mat1 and mat2 shapes cannot be multiplied (8x32 and 64x192)",
    ),
    # Two torch errors chained: the last one wins.
    "chained_both_torch": (
        expect(K.RESHAPE_INVALID, "RuntimeError", shape=[1, 8, 3, 64], line=line(".view(1, 8, 3, 64)")),
        "shape '[1, 8, 3, 64]' is invalid for input of size 1520",
    ),
    "python_error": (
        expect(K.UNKNOWN, "ZeroDivisionError", line=line("1 / 0")),
        "division by zero",
    ),
    "syntax_error": (expect(K.UNKNOWN, "SyntaxError", line=2), "'(' was never closed"),
}


def test_every_snippet_has_a_case() -> None:
    assert set(CASES) == set(torch_errors.SNIPPETS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_real_torch_error(captured: dict[str, str], name: str) -> None:
    fields, message_start = CASES[name]
    diagnosis = diagnose(captured[name])
    assert diagnosis.model_dump(exclude={"message"}) == fields
    assert diagnosis.message is not None and diagnosis.message.startswith(message_start)
    assert diagnosis.message in re.sub(r"\x1b\[[0-9;]*m", "", captured[name])  # verbatim, without terminal styles


def test_anomaly_warning_really_came_first(captured: dict[str, str]) -> None:
    """The anomaly fixture is what it claims: the warning, its forward frames, then the traceback."""
    text = captured["inplace_residual_anomaly"]
    warning = text.index("UserWarning: Error detected in NativeLayerNormBackward0. Traceback of forward call")
    assert warning < text.index(f'{BLOCK_FILENAME}", line {line("self.ln2(h)")}, in forward') < text.index(
        "Traceback (most recent call last):"
    )


def test_chained_messages_are_really_chained(captured: dict[str, str]) -> None:
    assert "The above exception was the direct cause" in captured["chained_from"]
    assert "NameError" in captured["chained_name_error"]
    assert "During handling of the above exception" in captured["chained_both_torch"]


def test_the_last_exception_wins(captured: dict[str, str]) -> None:
    both = captured["reshape_invalid"] + captured["backward_twice"]
    assert diagnose(both).kind is K.BACKWARD_TWICE
    assert diagnose(captured["backward_twice"] + captured["reshape_invalid"]).shape == [1, 8, 3, 64]


def test_a_later_python_error_wins_when_not_chained(captured: dict[str, str]) -> None:
    diagnosis = diagnose(captured["inplace_residual_anomaly"] + captured["python_error"])
    assert (diagnosis.kind, diagnosis.exception) == (K.UNKNOWN, "ZeroDivisionError")
    assert diagnosis.failed_backward is None  # that warning belonged to the earlier exception
    assert diagnosis.line == line("1 / 0")


def test_a_torch_error_raised_while_handling_a_python_one_wins() -> None:
    text = (
        "Traceback (most recent call last):\n"
        '  File "/tmp/s/learner_block.py", line 2, in f\n'
        "KeyError: 'ln1'\n\n"
        "During handling of the above exception, another exception occurred:\n\n"
        "Traceback (most recent call last):\n"
        '  File "/tmp/s/learner_block.py", line 4, in f\n'
        "RuntimeError: grad can be implicitly created only for scalar outputs\n"
    )
    diagnosis = diagnose(text)
    assert (diagnosis.kind, diagnosis.exception, diagnosis.line) == (K.NONSCALAR_BACKWARD, "RuntimeError", 4)


UNRELATED = (
    "step 0: loss 3.4657\n"
    "/usr/lib/python3/site-packages/torch/_subclasses/functional_tensor.py:295: UserWarning: "
    "Failed to initialize NumPy: No module named 'numpy' (Triggered internally at "
    "../torch/csrc/utils/tensor_numpy.cpp:84.)\n"
    '  cpu = _conversion_method_template(device=torch.device("cpu"))\n'
    "/tmp/s/learner_block.py:7: DeprecationWarning: this is old\n"
    "  warnings.warn('this is old', DeprecationWarning)\n"
    'RuntimeError: printed by the learner, not raised\n'
    '  File "/tmp/s/learner_block.py", line 99, in printed\n'
)


def test_unrelated_warnings_and_prints_before_the_traceback(captured: dict[str, str]) -> None:
    for name in ("inplace_residual", "inplace_residual_anomaly", "embedding_float"):
        alone = diagnose(captured[name])
        assert diagnose(UNRELATED + captured[name]) == alone
        assert diagnose(UNRELATED + captured[name] + "\n\n") == alone


def test_numpy_warning_alone_is_not_an_error() -> None:
    diagnosis = diagnose(UNRELATED.split("/tmp/s/learner_block.py:7")[0])
    assert diagnosis.kind is K.UNKNOWN and diagnosis.exception is None and diagnosis.line is None


def test_a_warning_after_the_traceback_ends_the_message(captured: dict[str, str]) -> None:
    after = "sys:1: ResourceWarning: unclosed file <_io.TextIOWrapper name='x'>\n"
    diagnosis = diagnose(captured["reshape_invalid"] + after)
    assert diagnosis.message == "shape '[1, 8, 3, 64]' is invalid for input of size 1520"
    assert diagnosis.shape == [1, 8, 3, 64]


def test_multiline_message_is_kept_whole() -> None:
    text = "Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\nValueError: first\nsecond\n\n"
    assert diagnose(text).message == "first\nsecond"


def test_windows_line_endings_and_paths(captured: dict[str, str]) -> None:
    text = captured["inplace_residual_anomaly"].replace("\n", "\r\n")
    assert diagnose(text) == diagnose(captured["inplace_residual_anomaly"])
    windows = (
        'Traceback (most recent call last):\n  File "C:\\Users\\a\\learner_block.py", line 7, in f\n'
        "IndexError: index out of range in self\n"
    )
    assert diagnose(windows).line == 7


def test_only_the_learner_block_counts_as_a_line() -> None:
    text = (
        "Traceback (most recent call last):\n"
        '  File "/tmp/s/learner_block.py", line 5, in run\n'
        '  File "/tmp/s/not_learner_block.py", line 50, in tools\n'
        '  File "/tmp/s/learner_block.py.bak", line 51, in tools\n'
        '  File "/usr/lib/torch/nn/functional.py", line 2987, in layer_norm\n'
        "RuntimeError: index out of range in self\n"
    )
    assert diagnose(text).line == 5
    assert diagnose(text.replace("learner_block.py\", line 5", "runner.py\", line 5")).line is None


@pytest.mark.parametrize(
    "message",
    [
        # Hand-written: no GPU here. These are torch's real wordings (both live in libtorch_cpu).
        "Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!",
        "Expected all tensors to be on the same device, but got mat1 is on cpu, different from other "
        "tensors on cuda:0 (when checking argument in method wrapper_CUDA_addmm)",
    ],
)
def test_device_mismatch(message: str) -> None:
    text = f'{TB}  File "/t/learner_block.py", line 12, in forward\nRuntimeError: {message}\n'
    assert diagnose(text) == Diagnosis(kind=K.DEVICE_MISMATCH, exception="RuntimeError", line=12, message=message)


@pytest.mark.parametrize(
    ("printed", "bare"),
    [
        ("torch.OutOfMemoryError", "OutOfMemoryError"),
        ("torch.cuda.OutOfMemoryError", "OutOfMemoryError"),
        ("torch._C._LinAlgError", "_LinAlgError"),
        ("__main__.CheckFailed", "CheckFailed"),
        ("KeyError", "KeyError"),
    ],
)
def test_module_prefixes_are_stripped(printed: str, bare: str) -> None:
    text = f"Traceback (most recent call last):\n  File \"x.py\", line 1, in <module>\n{printed}: boom\n"
    assert (diagnose(text).exception, diagnose(text).message) == (bare, "boom")


def test_exception_without_message() -> None:
    diagnosis = diagnose(f'{TB}  File "/a/learner_block.py", line 3, in f\nStopIteration\n')
    assert (diagnosis.exception, diagnosis.message, diagnosis.line) == ("StopIteration", None, 3)


def test_syntax_error_without_a_traceback_header() -> None:
    text = '  File "/tmp/s/learner_block.py", line 4\n    x = (\n        ^\nSyntaxError: \'(\' was never closed\n'
    diagnosis = diagnose(text)
    assert (diagnosis.kind, diagnosis.exception, diagnosis.line) == (K.UNKNOWN, "SyntaxError", 4)
    assert diagnosis.message == "'(' was never closed"


def test_truncated_traceback() -> None:
    text = 'Traceback (most recent call last):\n  File "/tmp/s/learner_block.py", line 8, in run\n    out.sum().backw'
    assert diagnose(text) == Diagnosis(line=8)


@pytest.mark.parametrize(
    "text",
    ["", "\n\n\n", "garbage ][ )( \x00\x07 ::: File line", "Traceback (most recent call last):", "\udcff\ud800 x"],
)
def test_nothing_readable_is_unknown(text: str) -> None:
    diagnosis = diagnose(text)
    assert diagnosis.kind is K.UNKNOWN and diagnosis.exception is None
    diagnosis.model_dump_json()  # still a valid contract


def test_bytes_and_none_do_not_raise(captured: dict[str, str]) -> None:
    assert diagnose(captured["leaf_inplace"].encode() + b"\xff\xfe").kind is K.LEAF_INPLACE  # type: ignore[arg-type]
    assert diagnose(None) == Diagnosis()  # type: ignore[arg-type]


def test_ten_megabytes_of_noise_then_a_real_traceback(captured: dict[str, str]) -> None:
    noise = ("x = 1 [torch.FloatTensor [1, 2 File \"learner_block.py\", line 9 is at version " * 40 + "\n") * 3500
    assert len(noise) > 10_000_000
    diagnosis = diagnose(noise + captured["inplace_residual_anomaly"])
    assert diagnosis.kind is K.INPLACE_VERSION
    assert (diagnosis.version_found, diagnosis.failed_backward) == (2, "NativeLayerNormBackward0")
    assert diagnosis.line == line("self.ln2(h)")


def test_the_module_does_not_import_torch() -> None:
    code = "import sys, tutor.core.diagnose; assert 'torch' not in sys.modules and 'textual' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


# Forms of the real-world corpus (tests/corpus/real_errors) not found there in full, written by hand.
@pytest.mark.parametrize(
    ("printed", "op"),
    [("torch::autograd::CopySlices", "CopySlices"), ("SliceBackward", "Slice"), ("SliceBackward0", "Slice"),
     ("TBackward0", "T"), ("Add", "Add")],
)
def test_node_names_are_normalised_and_kept_as_printed(printed: str, op: str) -> None:
    message = (f"one of the variables needed for gradient computation has been modified by an inplace operation: "
               f"[CUDAFloatType [16, 3, 3]], which is output 0 of {printed}, is at version 2; expected version 1 instead.")
    diagnosis = diagnose(f"{TB}  File \"train.py\", line 9, in <module>\nRuntimeError: {message}\n")
    assert (diagnosis.op, diagnosis.printed_op) == (op, printed)
    assert (diagnosis.tensor_type, diagnosis.shape) == ("CUDAFloatType", [16, 3, 3])


def test_a_traceback_indented_as_a_whole() -> None:
    text = (
        "    Traceback (most recent call last):\n"
        '      File "train.py", line 12, in <module>\n'
        "        loss.backward()\n"
        "    RuntimeError: Trying to backward through the graph a second time (or directly access saved tensors)\n"
    )
    diagnosis = diagnose(text)
    assert (diagnosis.kind, diagnosis.exception) == (K.BACKWARD_TWICE, "RuntimeError")


def test_a_dataloader_reraise_is_read_as_the_worker_error() -> None:
    text = (
        f"{TB}"
        '  File "train.py", line 30, in <module>\n'
        "    for x, y in loader:\n"
        '  File "/usr/lib/python3/site-packages/torch/_utils.py", line 694, in reraise\n'
        "    raise exception\n"
        "IndexError: Caught IndexError in DataLoader worker process 0.\n"
        "Original Traceback (most recent call last):\n"
        '  File "/usr/lib/python3/site-packages/torch/utils/data/_utils/worker.py", line 308, in _worker_loop\n'
        "    data = fetcher.fetch(index)\n"
        '  File "/home/ana/data.py", line 17, in __getitem__\n'
        "    return self.table[i]\n"
        "IndexError: index 40 is out of bounds for dimension 0 with size 40\n"
        "\n"
        "wandb: Find logs at: wandb/run-1/logs\n"
    )
    diagnosis = diagnose(text)
    assert (diagnosis.kind, diagnosis.exception) == (K.INDEX_ERROR, "IndexError")
    assert diagnosis.message == "index 40 is out of bounds for dimension 0 with size 40"


def test_a_dataloader_reraise_keeps_the_main_process_frames_first() -> None:
    text = (
        f"{TB}"
        '  File "train.py", line 30, in <module>\n'
        '  File "/usr/lib/python3/site-packages/torch/_utils.py", line 694, in reraise\n'
        "RuntimeError: Caught RuntimeError in DataLoader worker process 0.\n"
        "Original Traceback (most recent call last):\n"
        '  File "/usr/lib/python3/site-packages/torch/utils/data/_utils/collate.py", line 141, in default_collate\n'
        "RuntimeError: stack expects each tensor to be equal size, but got [3] at entry 0 and [4] at entry 1\n"
    )
    reading = read_error(text)
    assert [frame.path for frame in reading.frames] == [
        "train.py", "/usr/lib/python3/site-packages/torch/_utils.py",
        "/usr/lib/python3/site-packages/torch/utils/data/_utils/collate.py",
    ]
    assert reading.diagnosis.kind is K.SHAPE_MISMATCH


@pytest.mark.parametrize("printed", ["at::Half", "c10::Half", "Half"])
def test_an_overflow_names_the_type_without_its_namespace(printed: str) -> None:
    """torch 2.x prints `c10::Half`, older versions `at::Half`: the type is read the same."""
    pasted = f"{TB}  File \"train.py\", line 3, in <module>\nRuntimeError: value cannot be converted to type {printed} without overflow\n"
    diagnosis = diagnose(pasted)
    assert (diagnosis.kind, diagnosis.dtype) == (K.VALUE_OVERFLOW, "Half")


@pytest.mark.parametrize("printed, refused", [
    ("WeightsUnpickler error: Unsupported global: GLOBAL minigpt.model.GPTConfig was not an allowed global by default.",
     "minigpt.model.GPTConfig"),
    # torch 2.0 to 2.3
    ("WeightsUnpickler error: Unsupported class numpy.core.multiarray._reconstruct", "numpy.core.multiarray._reconstruct"),
])
def test_a_weights_only_refusal_names_what_it_refused(printed: str, refused: str) -> None:
    text = f"{TB}  File \"train.py\", line 3, in <module>\n_pickle.UnpicklingError: Weights only load failed. " \
           f"Re-running `torch.load` with `weights_only` set to `False` will likely succeed.\n {printed}\n"
    diagnosis = diagnose(text)
    assert (diagnosis.kind, diagnosis.exception, diagnosis.refused_global) == (K.WEIGHTS_ONLY_REFUSED, "UnpicklingError", refused)


def test_a_strict_load_with_a_size_mismatch_too_keeps_both_key_lists() -> None:
    text = (f"{TB}  File \"train.py\", line 3, in <module>\nRuntimeError: Error(s) in loading state_dict for GPT:\n"
            '\tMissing key(s) in state_dict: "blocks.1.ln1.weight". \n'
            "\tsize mismatch for tok_emb.weight: copying a param with shape torch.Size([40, 64]) from checkpoint, "
            "the shape in current model is torch.Size([40, 32]).\n")
    diagnosis = diagnose(text)
    assert diagnosis.kind is K.STATE_DICT_MISMATCH
    assert (diagnosis.missing_keys, diagnosis.unexpected_keys) == (["blocks.1.ln1.weight"], None)
