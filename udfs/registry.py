"""Registers learnmart's numpy UDFs on a DuckDB connection (dbt plugin and CLI)."""

from __future__ import annotations

import duckdb
from duckdb.sqltypes import DOUBLE
from learnmart.udfs import similarity

UDF_NAMES = ("cosine_similarity", "blend_score")


def register_udfs(con: duckdb.DuckDBPyConnection) -> None:
    """Register every learnmart UDF on ``con`` (idempotent)."""
    existing = {
        row[0]
        for row in con.execute(
            "select function_name from duckdb_functions() where function_name in (?, ?)",
            list(UDF_NAMES),
        ).fetchall()
    }
    double_list = duckdb.list_type(DOUBLE)
    if "cosine_similarity" not in existing:
        con.create_function(
            "cosine_similarity",
            similarity.cosine_similarity,
            [double_list, double_list],
            DOUBLE,
            type="arrow",
            null_handling="special",
        )
    if "blend_score" not in existing:
        con.create_function(
            "blend_score",
            similarity.blend_score,
            [DOUBLE] * 6,
            DOUBLE,
            type="arrow",
            null_handling="special",
        )
