"""A run's raw result read back with every size checked, and the comparison that the
tutor makes of it without torch: the same answer as torch.allclose."""

from __future__ import annotations

import math

import pytest
import torch

from tutor.core.closeness import compare_one
from tutor.core.job import RawResult, TensorInfo
from tutor.core.rawresult import MAGIC, MalformedResult, Values, decode, encode


def values(tensor: torch.Tensor) -> Values:
    dtype = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64"}[tensor.dtype]
    info = TensorInfo(name="t", group="tensors", dtype=dtype, shape=list(tensor.shape))
    observed = decode(encode(RawResult(outcome="observed", tensors=[info]), [tensor.numpy().tobytes()]))
    return observed.tensors["t"]


def test_tensors_come_back_as_they_went() -> None:
    tensor = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    back = values(tensor)
    assert back.shape == (2, 3) and list(back.data) == tensor.flatten().tolist()


@pytest.mark.parametrize("data, says", [
    (b"", "it is empty"),
    (b"garbage", "does not start as a result does"),
    (MAGIC + b"\x00\x00", "ends inside its header"),
    (MAGIC + b"\xff\xff\xff\xff{}", "header is longer than the result"),
    (MAGIC + b"\x00\x00\x00\x03\xff\xfe\xfd", "header is not valid"),
    (MAGIC + b"\x00\x00\x00\x02[]", "header is not valid"),
])
def test_a_malformed_frame_is_refused_with_a_reason(data: bytes, says: str) -> None:
    with pytest.raises(MalformedResult, match=says):
        decode(data)


def frame(tensors: list[dict], payload: bytes) -> bytes:
    return encode(RawResult(outcome="observed", tensors=[TensorInfo(**t) for t in tensors]), [payload])


@pytest.mark.parametrize("tensors, payload, says", [
    ([{"name": "w", "group": "tensors", "shape": [4]}], b"\x00" * 8, "longer than the result"),
    ([{"name": "w", "group": "tensors", "shape": [1]}], b"\x00" * 8, "4 bytes follow its last tensor"),
    ([{"name": "w", "group": "tensors", "shape": [-1]}], b"", "negative size"),
    ([{"name": "w", "group": "tensors", "shape": [2**40, 2**40]}], b"", "longer than the result"),
    ([{"name": "w", "group": "tensors", "shape": [1]}] * 2, b"\x00" * 8, "twice"),
])
def test_sizes_and_names_are_checked_against_the_bytes(tensors: list[dict], payload: bytes, says: str) -> None:
    with pytest.raises(MalformedResult, match=says):
        decode(frame(tensors, payload))


CASES = {
    "equal": (torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.0])),
    "within the tolerance": (torch.tensor([1.0, 2.0]), torch.tensor([1.0 + 5e-7, 2.0])),
    "past it": (torch.tensor([1.0, 2.0]), torch.tensor([1.0 + 1e-3, 2.0])),
    "relative": (torch.tensor([1e6]), torch.tensor([1e6 + 5.0])),
    "nan in both": (torch.tensor([math.nan]), torch.tensor([math.nan])),
    "nan in one": (torch.tensor([1.0]), torch.tensor([math.nan])),
    "equal infinities": (torch.tensor([math.inf, 1.0]), torch.tensor([math.inf, 1.0])),
    "opposite infinities": (torch.tensor([math.inf]), torch.tensor([-math.inf])),
    "float64 against float32": (torch.tensor([0.1]), torch.tensor([0.1], dtype=torch.float64)),
    "integers": (torch.tensor([3, 4]), torch.tensor([3, 5])),
    "empty": (torch.zeros(0), torch.zeros(0)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_comparison_says_what_torch_allclose_says(name: str) -> None:
    expected, actual = CASES[name]
    comparison = compare_one("t", values(expected), values(actual), 1e-6)
    assert comparison.matches == torch.allclose(actual.double(), expected.double(), rtol=1e-5, atol=1e-6)
    difference = (actual.double() - expected.double()).abs()
    largest = difference.max().item() if difference.numel() else 0.0
    if not (math.isnan(largest) and comparison.matches):  # equal infinities: torch says nan, the tutor 0
        assert comparison.max_abs_diff == pytest.approx(largest, nan_ok=True)


def test_another_shape_or_a_missing_tensor_never_matches() -> None:
    control = values(torch.zeros(2, 3))
    assert not compare_one("t", control, values(torch.zeros(3, 2)), 1e-6).matches
    assert compare_one("t", control, None, 1e-6).missing
    assert not compare_one("t", control, "other", 1e-6).matches
    assert compare_one("t", None, None, 1e-6).matches  # a gradient neither run made


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_share_of_the_scale_is_allclose_with_an_atol_that_large(name: str) -> None:
    expected, actual = CASES[name]
    scale = expected.double().abs().max().item() if expected.numel() else 0.0
    comparison = compare_one("t", values(expected), values(actual), 1e-6, scale_rtol=1e-3)
    atol = 1e-6 + 1e-3 * scale if math.isfinite(scale) else 1e-6
    assert comparison.matches == torch.allclose(actual.double(), expected.double(), rtol=1e-5, atol=atol)


def test_a_share_of_the_scale_forgives_noise_on_small_elements_and_nothing_more() -> None:
    gradient = torch.tensor([0.5, -0.25, 1e-9])  # the last: float noise around an exact zero
    noise = gradient + torch.tensor([2e-6, -1e-6, 3e-5])
    assert not compare_one("t", values(gradient), values(noise), 1e-6).matches
    assert compare_one("t", values(gradient), values(noise), 1e-6, scale_rtol=1e-3).matches
    halved = gradient * torch.tensor([1.0, 1.0, 0.5]) + torch.tensor([0.0, 1e-3, 0.0])
    assert not compare_one("t", values(gradient), values(halved), 1e-6, scale_rtol=1e-3).matches
