"""Refusals: a build that cannot work, or would publish nothing useful, stops with one line
(exit 2) and leaves the published file as it was."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from learnmart.warehouse.errors import BuildEnvironmentError
from learnmart.warehouse.inputs import find_raw_files

# bytes 8..12 of every DuckDB database file
DUCKDB_MAGIC = b"DUCK"
# the table every learnmart build writes, which marks a file as a learnmart warehouse; files
# built before the intermediate models were renamed carry it under its old name
BUILD_CONTEXT = "int_build_context_resolved"
LEGACY_BUILD_CONTEXT = "int_build_context"


def check_request(
    data: Path, db: Path, as_of: str | None, select: str | None, memory_limit: str | None, temp_dir: Path | None
) -> str | None:
    """Refuse a build that cannot work before anything is written; returns --as-of in UTC."""
    if not data.is_dir():
        raise BuildEnvironmentError(f"--data {data} is not a directory")
    if not find_raw_files(data, "events"):
        raise BuildEnvironmentError(
            f"no events in {data}: expected events.parquet, events.csv or a folder events/ of them"
        )
    as_of_utc = parse_as_of(as_of)
    if select and not db.exists():
        raise BuildEnvironmentError(
            f"--select updates part of an existing warehouse, and {db} does not exist: run a full build first"
        )
    check_memory_limit(memory_limit)
    check_temp_dir(temp_dir)
    check_target(db, data)
    return as_of_utc


def parse_as_of(text: str | None) -> str | None:
    """Validate --as-of (ISO-8601; no offset means UTC); returns it normalised to UTC."""
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BuildEnvironmentError(
            f"--as-of {text!r} is not an ISO-8601 timestamp (e.g. 2026-06-30 or 2026-06-30T12:00:00Z)"
        ) from None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(sep=" ")


def check_memory_limit(limit: str | None) -> None:
    """--memory-limit (or $LEARNMART_MEMORY_LIMIT) is a size DuckDB takes; dbt would fail every model."""
    name = "--memory-limit" if limit else "LEARNMART_MEMORY_LIMIT"
    limit = limit or os.environ.get("LEARNMART_MEMORY_LIMIT")
    if not limit:
        return
    import duckdb

    quoted = limit.replace("'", "''")
    try:
        with duckdb.connect() as con:
            con.execute(f"set memory_limit = '{quoted}'")
    except duckdb.Error:
        raise BuildEnvironmentError(
            f"{name} {limit!r} is not a memory size DuckDB understands (e.g. 4GB, 512MB or 75%)"
        ) from None


def check_temp_dir(temp_dir: Path | None) -> None:
    """--temp-dir (or $LEARNMART_TEMP_DIR) is a folder DuckDB can create and write in when it spills."""
    name = "--temp-dir" if temp_dir else "LEARNMART_TEMP_DIR"
    text = str(temp_dir or os.environ.get("LEARNMART_TEMP_DIR") or "")
    if not text:
        return
    folder = Path(text).resolve()
    existing = next(path for path in (folder, *folder.parents) if path.exists())
    if not existing.is_dir():
        raise BuildEnvironmentError(f"{name} {folder}: {existing} is not a directory")
    try:  # a folder made and removed at once: the only sure test on /proc, /sys or a read-only mount
        os.rmdir(tempfile.mkdtemp(prefix=".learnmart-probe-", dir=existing))
    except OSError as exc:
        raise BuildEnvironmentError(f"{name} {folder}: cannot create folders in {existing} ({exc.strerror})") from None


def check_target(db: Path, data: Path) -> None:
    """Refuse a --db that publishing could destroy or corrupt, before anything is written.

    A build publishes over nothing, or over a learnmart warehouse (a DuckDB file with the
    build context) that no process has open for writing; never inside the data folder.
    """
    if db == data or db.is_relative_to(data):
        raise BuildEnvironmentError(f"--db {db} is inside the data folder {data}: write the warehouse elsewhere")
    for parent in (db.parent, *db.parent.parents):
        if parent.exists():
            if not parent.is_dir():
                raise BuildEnvironmentError(f"--db {db}: {parent} is not a directory")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise BuildEnvironmentError(f"--db {db}: cannot create files in {parent} (permission denied)")
            break
    if os.path.lexists(f"{db}.wal"):
        raise BuildEnvironmentError(
            f"{db} has a write-ahead log ({db}.wal): a process has it open for writing, or one crashed while "
            "writing; close it (or open it once with duckdb to checkpoint) and build again. Nothing was changed"
        )
    if not os.path.lexists(db):
        return
    if db.is_dir():
        raise BuildEnvironmentError(f"--db {db} is a directory: name a file for the warehouse")
    if not db.is_file():
        raise BuildEnvironmentError(f"--db {db} is not a regular file: learnmart publishes only over its own warehouse")
    _check_warehouse(db)


def _check_warehouse(db: Path) -> None:
    """``db`` is a learnmart warehouse that no other process holds open for writing."""
    import duckdb

    keep = f"; {db} was left as it was. Choose another --db, or move the file away"
    try:
        with open(db, "rb") as fh:
            header = fh.read(12)
    except OSError as exc:
        raise BuildEnvironmentError(f"cannot read --db {db}: {exc.strerror}") from None
    if header[8:12] != DUCKDB_MAGIC:
        raise BuildEnvironmentError(f"--db {db} is not a DuckDB file, so not a learnmart warehouse{keep}")
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            marked = con.execute(
                "select count(*) from information_schema.tables where table_schema = 'intermediate' "
                "and table_name in (?, ?)",
                [BUILD_CONTEXT, LEGACY_BUILD_CONTEXT],
            ).fetchone()[0]
    except duckdb.CatalogException:
        marked = 0
    except duckdb.Error as exc:
        text = str(exc).splitlines()[0]
        if "lock" in text.lower():
            raise BuildEnvironmentError(
                f"{db} is open for writing by another process ({text}); close it and build again. Nothing was changed"
            ) from None
        raise BuildEnvironmentError(f"cannot open --db {db} ({text}){keep}") from None
    if not marked:
        raise BuildEnvironmentError(f"--db {db} is a DuckDB file but not a learnmart warehouse{keep}")


def check_as_of(tmp_db: Path, db: Path, as_of: str | None) -> None:
    """Refuse an --as-of before every accepted event: its window is empty, so the build would
    score nobody (and some of its tests fail for it). Checked whether or not dbt passed."""
    if not as_of or not tmp_db.exists():
        return
    import duckdb

    try:
        with duckdb.connect(str(tmp_db), read_only=True) as con:
            first = con.execute("select first_event_at from intermediate.int_build_context_resolved").fetchone()[0]
    except duckdb.Error:
        return  # the context was not built (a --select build, or it failed): nothing to judge by
    if first is not None and dt.datetime.fromisoformat(as_of) < first:
        raise BuildEnvironmentError(
            f"--as-of {as_of} is before every accepted event (the first is at {first:%Y-%m-%d %H:%M:%S} UTC): "
            f"the build would score nobody; {db} was left as it was"
        )


def check_selection(db: Path, results: list[dict], select: str | None) -> None:
    """A --select build that ran nothing would only republish the file: refuse it."""
    if select and not results:
        raise BuildEnvironmentError(
            f"--select {select!r} matches no model, seed or test; {db} was left as it was (`dbt ls` lists them)"
        )
