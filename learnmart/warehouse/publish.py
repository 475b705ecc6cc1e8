"""The published file and its neighbours: the build lock, the incremental tables carried over
into a new file, and publishing, which renames a finished file over the published one.

Publishing is a rename over the target path: readers that have the old file open keep
reading it (the old inode lives until they close it), new readers see the new file, and
nobody ever sees a half-built one. A failed or killed build leaves the published file
untouched; its leftovers are cleaned up by the next build.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from learnmart.warehouse.checks import check_target
from learnmart.warehouse.errors import BuildEnvironmentError


@contextlib.contextmanager
def build_lock(db: Path) -> Iterator[None]:
    """Hold ``db``'s build lock (a file beside it) for the block; a second build exits 2."""
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        lock_path = db.parent / f".{db.name}.lock"
        lock = open(lock_path, "a+")  # noqa: SIM115 - held for the whole build
    except OSError as exc:
        raise BuildEnvironmentError(f"--db {db}: cannot create files in {db.parent} ({exc.strerror})") from None
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildEnvironmentError(
                f"another build of {db} is running (lock {lock_path}); wait for it to finish"
            ) from None
        yield
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def clean_stale(db: Path) -> None:
    """Remove what killed builds left behind; only called while holding the build lock."""
    for leftover in db.parent.glob(f".{db.name}.building-*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def disk_full_error(db: Path) -> BuildEnvironmentError:
    return BuildEnvironmentError(
        f"the disk holding {db.parent} is full; {db} was left as it was. Free space and build again"
    )


def disk_full(folder: Path, needed: int = 1 << 20) -> bool:
    try:
        return shutil.disk_usage(folder).free < needed
    except OSError:
        return False


def carry_over_incremental_tables(published: Path, new: Path, tables: tuple[tuple[str, str], ...]) -> bool:
    """A new file holding only the published file's incremental ``tables`` (their state).

    The published file is copied whole and everything else dropped from the copy: a file
    copy moves the tables' compressed blocks as they are, where copying them row by row
    through SQL would compress them again. The dropped tables' space is reused by the
    build's new tables.

    False (and no new file) when the published file lacks one of them: build from scratch.
    """
    import duckdb

    try:
        shutil.copyfile(published, new)
        with duckdb.connect(str(new)) as con:
            objects = con.execute(
                "select table_schema, table_name, table_type from information_schema.tables "
                "where table_catalog = current_database()"
            ).fetchall()
            if not tables or not set(tables) <= {(schema, name) for schema, name, _ in objects}:
                raise duckdb.CatalogException("the published file predates an incremental model")
            for schema, name, kind in objects:
                if (schema, name) not in tables:
                    what = "view" if kind == "VIEW" else "table"
                    con.execute(f'drop {what} if exists "{schema}"."{name}" cascade')
            con.execute("checkpoint")
    except (duckdb.Error, OSError) as exc:
        new.unlink(missing_ok=True)
        Path(f"{new}.wal").unlink(missing_ok=True)
        if "No space left on device" in str(exc):
            raise OSError(errno.ENOSPC, str(exc).splitlines()[0]) from None
        if isinstance(exc, duckdb.CatalogException):
            return False  # the published file predates one of the incremental models
        raise
    return True


def forget_inputs(db: Path) -> None:
    """After a partial build (--select): the file may now hold tables built from other files
    or another project than its int_build_context_resolved says, so no build may find it up to date."""
    import duckdb

    with duckdb.connect(str(db)) as con:
        has_column = con.execute(
            "select count(*) from information_schema.columns where table_schema = 'intermediate' "
            "and table_name = 'int_build_context_resolved' and column_name = 'inputs_fingerprint'"
        ).fetchone()[0]
        if has_column:
            con.execute("update intermediate.int_build_context_resolved set inputs_fingerprint = ''")


def keep_failed(tmp_db: Path, db: Path) -> str:
    """Move a failed build's file beside the target, for inspecting its failing rows; says where."""
    if not tmp_db.exists():
        return ""
    failed = db.with_name(f"{db.stem}.failed{db.suffix}")
    os.replace(tmp_db, failed)
    return f" (the failed build is kept for inspection in {failed})"


def publish(tmp_db: Path, db: Path, data: Path) -> None:
    """Make the new file durable, then rename it over the published one (atomic)."""
    with open(tmp_db, "rb+") as fh:
        os.fsync(fh.fileno())
    check_target(db, data)  # a writer may have opened the file while dbt ran
    os.replace(tmp_db, db)
    dir_fd = os.open(db.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
