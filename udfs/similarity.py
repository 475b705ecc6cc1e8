"""Vectorized numpy functions that DuckDB calls on whole batches (Arrow UDFs).

Each function takes and returns Arrow arrays: DuckDB hands over a vector of up to
2048 rows at a time, and the work happens in numpy over the whole batch; nothing
runs Python per row.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def _lists_to_matrix(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flattened values, row offsets and a null mask of a list<double> Arrow array."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    valid = ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    offsets = np.asarray(arr.offsets.to_numpy(), dtype=np.int64)
    values = arr.values.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
    # list elements that are NULL count as 0 for the dot product and the norms
    values = np.nan_to_num(values, nan=0.0)
    start = offsets[0]
    return values[start : offsets[-1]], offsets - start, valid


def cosine_similarity_np(
    a_values: np.ndarray, a_offsets: np.ndarray, b_values: np.ndarray, b_offsets: np.ndarray
) -> np.ndarray:
    """Row-wise cosine of ragged vectors given as (flat values, offsets).

    Rows whose two vectors differ in length or have zero norm get NaN (NULL in SQL).
    """
    n = len(a_offsets) - 1
    a_len = np.diff(a_offsets)
    b_len = np.diff(b_offsets)
    same = a_len == b_len
    out = np.full(n, np.nan)
    if n == 0:
        return out
    # Rows of equal length: multiply the aligned flat slices, then sum per row.
    rows = np.flatnonzero(same & (a_len > 0))
    if len(rows):
        lens = a_len[rows]
        a_idx = np.repeat(a_offsets[rows], lens) + _ragged_arange(lens)
        b_idx = np.repeat(b_offsets[rows], lens) + _ragged_arange(lens)
        seg = np.repeat(np.arange(len(rows)), lens)
        av, bv = a_values[a_idx], b_values[b_idx]
        dot = np.bincount(seg, weights=av * bv, minlength=len(rows))
        na = np.sqrt(np.bincount(seg, weights=av * av, minlength=len(rows)))
        nb = np.sqrt(np.bincount(seg, weights=bv * bv, minlength=len(rows)))
        with np.errstate(invalid="ignore", divide="ignore"):
            cos = dot / (na * nb)
        cos[(na == 0) | (nb == 0)] = np.nan
        out[rows] = cos
    return out


def _ragged_arange(lens: np.ndarray) -> np.ndarray:
    """Concatenation of arange(k) for each k in lens, without a Python loop."""
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.repeat(np.cumsum(lens) - lens, lens)
    return np.arange(total, dtype=np.int64) - starts


def cosine_similarity(a: pa.Array, b: pa.Array) -> pa.Array:
    """DuckDB UDF ``cosine_similarity(list<double>, list<double>) -> double``.

    Same result as DuckDB's ``list_cosine_similarity`` except that unequal lengths
    and zero vectors give NULL instead of an error.
    """
    av, ao, a_ok = _lists_to_matrix(a)
    bv, bo, b_ok = _lists_to_matrix(b)
    out = cosine_similarity_np(av, ao, bv, bo)
    mask = ~(a_ok & b_ok) | np.isnan(out)
    return pa.array(out, type=pa.float64(), mask=mask)
