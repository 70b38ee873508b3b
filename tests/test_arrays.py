"""The query path's numpy helpers give what numpy's general routines give."""

from __future__ import annotations

import numpy as np
import pytest

from search.arrays import sorted_unique, unique_counts


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float64])
@pytest.mark.parametrize("size", [0, 1, 2, 7, 300, 5000])
def test_sorted_unique_is_numpys_unique(dtype: type, size: int) -> None:
    values = np.random.default_rng(size).integers(0, max(size // 3, 1), size).astype(dtype)
    found, expected = sorted_unique(values), np.unique(values)
    assert found.dtype == expected.dtype and found.tolist() == expected.tolist()


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("size", [1, 2, 7, 60, 5000])
def test_unique_counts_is_numpys_unique_with_counts(dtype: type, size: int) -> None:
    values = np.random.default_rng(size).integers(0, max(size // 3, 1), size).astype(dtype)
    (found, counts), (expected, expected_counts) = unique_counts(values), np.unique(values, return_counts=True)
    assert found.dtype == expected.dtype and found.tolist() == expected.tolist()
    assert counts.dtype == expected_counts.dtype and counts.tolist() == expected_counts.tolist()
