"""The UDFs learnmart registers on its connections."""

from __future__ import annotations

import duckdb
import pytest
from learnmart.udfs.registry import register_udfs


@pytest.fixture
def con():
    c = duckdb.connect()
    register_udfs(c)
    return c


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
