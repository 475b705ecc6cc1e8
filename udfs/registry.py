"""Registers learnmart's UDFs on a DuckDB connection (dbt plugin and CLI)."""

from __future__ import annotations

import hmac
import os

import duckdb
from duckdb.sqltypes import BOOLEAN, VARCHAR

UDF_NAMES = ("pii_hash", "pii_salt_configured")
# the key of PII hashes and audience keys when $LEARNMART_SALT is unset (exports then refuse to run)
DEVELOPMENT_SALT = "learnmart-unsalted-development-only"


def pii_salt() -> str:
    """The secret PII is keyed with: $LEARNMART_SALT, read here so that no SQL, manifest or
    parse cache ever holds it (dbt records the values of the env vars its Jinja reads)."""
    return os.environ.get("LEARNMART_SALT") or DEVELOPMENT_SALT


def pii_hash_function(salt: str):
    """HMAC-SHA256 (hex) of each text value, keyed with ``salt``; NULL stays NULL."""
    import pyarrow as pa

    key = salt.encode()

    def pii_hash(values):
        hashed = [None if v is None else hmac.digest(key, v.encode(), "sha256").hex() for v in values.to_pylist()]
        return pa.array(hashed, pa.string())

    return pii_hash


def register_udfs(con: duckdb.DuckDBPyConnection) -> None:
    """Register every learnmart UDF on ``con`` (idempotent)."""
    placeholders = ", ".join("?" for _ in UDF_NAMES)
    existing = {
        row[0]
        for row in con.execute(
            f"select function_name from duckdb_functions() where function_name in ({placeholders})",
            list(UDF_NAMES),
        ).fetchall()
    }
    if "pii_hash" not in existing:
        con.create_function(
            "pii_hash", pii_hash_function(pii_salt()), [VARCHAR], VARCHAR, type="arrow", null_handling="special"
        )
    if "pii_salt_configured" not in existing:
        configured = bool(os.environ.get("LEARNMART_SALT"))
        con.create_function("pii_salt_configured", lambda: configured, [], BOOLEAN)
