"""The learner's tensors held against the control's, in the tutor's own process.

The same test as `torch.allclose(actual, expected, rtol=RTOL, atol=tolerance + scale_rtol
* max|expected|)` on float64 copies, written out in Python, so that the tutor needs no torch and nothing of
the learner's run takes part in it. A scenario's tensors are about 10^5 numbers.
"""

from __future__ import annotations

import math
import operator

from tutor.core.rawresult import Values
from tutor.core.results import RTOL, TensorComparison

Tensor = Values | str | None  # "other": the learner's run gave something that is not a tensor


def compare_all(control: dict[str, Tensor], learner: dict[str, Tensor], tolerance: float,
                scale_rtol: float = 0.0) -> list[TensorComparison]:
    """One comparison per tensor of the control, in its order; what only the learner has is ignored."""
    return [compare_one(name, expected, learner.get(name), tolerance, scale_rtol) for name, expected in control.items()]


def compare_one(name: str, expected: Tensor, actual: Tensor, tolerance: float,
                scale_rtol: float = 0.0) -> TensorComparison:
    if expected is None or actual is None:
        both_absent = expected is None and actual is None
        return TensorComparison(name=name, max_abs_diff=0.0 if both_absent else None,
                                missing=actual is None and not both_absent, matches=both_absent)
    if not isinstance(expected, Values) or not isinstance(actual, Values) or actual.shape != expected.shape:
        return TensorComparison(name=name, matches=False)
    if actual.dtype == expected.dtype and actual.data == expected.data:  # the same numbers (never a nan)
        return TensorComparison(name=name, max_abs_diff=0.0, rel_diff=0.0, matches=True)
    differences = list(map(abs, map(operator.sub, map(float, actual.data), map(float, expected.data))))
    largest = math.nan if any(map(math.isnan, differences)) else max(differences, default=0.0)
    scale = max(map(abs, map(float, expected.data)), default=0.0)
    relative = largest / scale if scale else (0.0 if largest == 0.0 else None)
    # A value the control has as inf or nan is matched only by the same value (below), as in torch.
    atol = tolerance + scale_rtol * scale if math.isfinite(scale) else tolerance
    bounds = [atol + RTOL * abs(value) if math.isfinite(value) else -1.0 for value in map(float, expected.data)]
    close = all(map(operator.le, differences, bounds)) or all(
        difference <= bound or a == b  # equal infinities are close
        for difference, bound, a, b in zip(differences, bounds, actual.data, expected.data))
    return TensorComparison(name=name, max_abs_diff=largest, rel_diff=relative, matches=close)
