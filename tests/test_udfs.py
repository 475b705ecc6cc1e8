"""The numpy UDFs, on their own and against DuckDB's native equivalents."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from learnmart.udfs.registry import register_udfs
from learnmart.udfs.similarity import cosine_similarity


@pytest.fixture
def con():
    c = duckdb.connect()
    register_udfs(c)
    return c


def test_cosine_matches_duckdb_native_over_many_batches(con):
    # 50k rows spans many 2048-row vectors; lengths vary from row to row
    rows = con.execute(
        """
        with v as (
            select
                i,
                [random() - 0.5 for x in range(1 + i % 7)] as a,
                [random() - 0.5 for x in range(1 + i % 7)] as b
            from range(50000) t(i)
        )
        select
            count(*),
            max(abs(cosine_similarity(a, b) - list_cosine_similarity(a, b))),
            count(cosine_similarity(a, b))
        from v
        """
    ).fetchone()
    assert rows[0] == 50000
    assert rows[1] < 1e-12
    assert rows[2] == 50000


def test_cosine_edge_cases(con):
    got = con.execute(
        """
        select
            cosine_similarity([1.0, 0.0], [0.0, 1.0]),
            cosine_similarity([1.0, 2.0], [2.0, 4.0]),
            cosine_similarity([1.0, 2.0], [-1.0, -2.0]),
            cosine_similarity([1.0], [1.0, 2.0]),
            cosine_similarity([0.0, 0.0], [1.0, 1.0]),
            cosine_similarity(null, [1.0]),
            cosine_similarity([], [])
        """
    ).fetchone()
    assert got[0] == pytest.approx(0.0)
    assert got[1] == pytest.approx(1.0)
    assert got[2] == pytest.approx(-1.0)
    assert got[3:] == (None, None, None, None)


def test_cosine_directly_on_arrow_arrays():
    a = pa.array([[3.0, 4.0], None, [1.0, 0.0, 0.0]], type=pa.list_(pa.float64()))
    b = pa.array([[4.0, 3.0], [1.0], [1.0, 1.0, 0.0]], type=pa.list_(pa.float64()))
    out = cosine_similarity(a, b).to_pylist()
    assert out[0] == pytest.approx(24 / 25)
    assert out[1] is None
    assert out[2] == pytest.approx(1 / np.sqrt(2))


def test_cosine_on_sliced_arrays_uses_the_slice():
    a = pa.array([[9.0, 9.0], [1.0, 0.0], [0.0, 1.0]], type=pa.list_(pa.float64())).slice(1)
    b = pa.array([[1.0, 0.0], [1.0, 0.0]], type=pa.list_(pa.float64()))
    assert cosine_similarity(a, b).to_pylist() == pytest.approx([1.0, 0.0])


def test_pii_hash_is_an_hmac_keyed_with_the_salt_and_keeps_null(monkeypatch):
    import hashlib
    import hmac

    monkeypatch.setenv("LEARNMART_SALT", "s3cret")
    c = duckdb.connect()
    register_udfs(c)
    got, null, configured = c.execute("select pii_hash('u1'), pii_hash(null), pii_salt_configured()").fetchone()
    assert got == hmac.new(b"s3cret", b"u1", hashlib.sha256).hexdigest()
    assert got != hashlib.sha256(b"s3cretu1").hexdigest()  # not the old concatenation
    assert null is None and configured is True
    monkeypatch.delenv("LEARNMART_SALT")
    unsalted = duckdb.connect()
    register_udfs(unsalted)
    other, configured = unsalted.execute("select pii_hash('u1'), pii_salt_configured()").fetchone()
    assert other != got and configured is False
