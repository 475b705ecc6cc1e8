"""Opening the built file read-only, with one clear line for each way it can go wrong."""

from __future__ import annotations

from pathlib import Path

from learnmart.cli.output import EXIT_ENV, fail

try:
    # DuckDB's engine itself, which the `duckdb` package re-exports: a lookup only needs
    # connect / execute / fetchall and the exception classes, and importing the package
    # also loads its Python API (relations, expressions, version metadata), a large share
    # of a cold `learnmart recommend`
    import _duckdb as duckdb
except ImportError:  # a duckdb build that does not ship the engine as a top-level module
    import duckdb


def open_readonly(db: Path) -> duckdb.DuckDBPyConnection:
    """Read-only connection to a built learnmart file, or exit 2 with the reason."""
    if not db.exists():
        raise fail(f"no database at {db}: run `learnmart build --data DIR` first", EXIT_ENV)
    try:
        return duckdb.connect(str(db), read_only=True)
    except duckdb.IOException as exc:
        text = str(exc).splitlines()[0]
        if "lock" in text.lower():
            raise fail(f"{db} is locked by another process ({text})", EXIT_ENV) from None
        raise fail(f"cannot open {db}: {text}", EXIT_ENV) from None
    except duckdb.Error as exc:
        raise fail(f"cannot open {db}: {str(exc).splitlines()[0]}", EXIT_ENV) from None


def query(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None):
    """Run a parameterized query; returns (columns, rows). A missing table exits 2."""
    try:
        cur = con.execute(sql, params or [])
        rows = cur.fetchall()
        columns = [d[0] for d in cur.description]
    except duckdb.CatalogException as exc:
        raise fail(
            f"the database lacks a table this command needs ({str(exc).splitlines()[0]}); "
            "rebuild it with this version of learnmart",
            EXIT_ENV,
        ) from None
    return columns, rows
