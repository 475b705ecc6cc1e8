"""Incremental builds: appending raw files gives what a full rebuild gives, and only the new files are read."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections import Counter
from pathlib import Path

import duckdb
import pytest

from learnmart.warehouse import inputs as build
from learnmart.warehouse.engine import run_build
from learnmart.warehouse.inputs import build_fingerprint, inputs_fingerprint
from learnmart.warehouse.plan import Request, is_up_to_date, read_published
from learnmart.warehouse.publish import carry_over_incremental_tables, forget_inputs
from tests.conftest import REPO, copy_project, run_cli, storage_version

SPLIT = "2026-06-28"  # the last days of demo_data's history arrive as a second file


TS = "try_cast(event_ts as timestamp)"


def _deliver_events(demo_data: Path, data: Path, second_name: str, second: str) -> duckdb.DuckDBPyConnection:
    """demo_data in ``data`` with its events as two files: events/part-1.parquet, and the rows
    where ``second`` (SQL over view ``e``, demo_data's events) in events/<second_name>.parquet.
    Returns the connection, with view ``e``, for the caller's own checks."""
    data.mkdir(exist_ok=True)
    for path in demo_data.iterdir():
        if path.name != "events.parquet":
            (data / path.name).symlink_to(path)
    (data / "events").mkdir()
    con = duckdb.connect()
    con.execute(f"create view e as select * from read_parquet('{demo_data / 'events.parquet'}')")
    con.execute(f"copy (select * from e where not coalesce({second}, false)) to '{data}/events/part-1.parquet'")
    con.execute(f"copy (select * from e where {second}) to '{data}/events/{second_name}.parquet'")
    return con


@pytest.fixture(scope="module")
def split_data(demo_data, tmp_path_factory) -> Path:
    """demo_data with its events delivered as two files: before SPLIT, and from SPLIT on,
    with the rows naming a course the catalog does not list (the incremental build must
    judge the catalog rule on the rows it stages)."""
    data = tmp_path_factory.mktemp("split_data")
    later = f"({TS} >= timestamp '{SPLIT}' and {TS} < timestamp '2026-07-01') or course_id = 'c99999'"
    _deliver_events(demo_data, data, "part-2", later).close()
    return data


def _rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


PUBLISHED = {
    "user_recommendations": "select user_id, rank, course_id, reason from main.user_recommendations order by all",
    "user_segments": "select user_id, rfm_segment, lifecycle_stage from main.user_segments order by all",
    # the same events give the same clusters, ids and names, whichever way the build ran
    "user_clusters": "select user_id, cluster_id, cluster_name from main.user_clusters order by all",
    "rejected_events": "select reject_reason, count(*) from main.rejected_events group by all order by all",
}


def _assert_same_as_a_full_build(db: Path, full: Path) -> None:
    """``db`` publishes what the full build ``full`` of the same events does, and holds the same affinities."""
    for name, sql in PUBLISHED.items():
        assert _rows(db, sql) == _rows(full, sql), name
    with duckdb.connect() as con:
        con.execute(f"attach '{db}' as a (read_only)")
        con.execute(f"attach '{full}' as b (read_only)")
        diff = con.execute(
            "select count(*) filter (where x.user_id is null or y.user_id is null), max(abs(x.affinity - y.affinity)) "
            "from a.intermediate.int_interactions_weighted as x "
            "full join b.intermediate.int_interactions_weighted as y using (user_id, course_id)"
        ).fetchone()
    assert diff[0] == 0 and diff[1] < 1e-9


def test_appending_a_file_reads_only_it_and_publishes_what_a_full_build_would(
    split_data, demo_db, tmp_path, monkeypatch
):
    """demo_db is the full build of the same events (demo_data, one file): the reference."""
    from learnmart.warehouse import dbt
    from learnmart.warehouse.inputs import unit_tests_fingerprint

    # a cache of its own: no earlier build of this project passed its unit tests here
    monkeypatch.setenv("LEARNMART_CACHE_DIR", str(tmp_path / "cache"))
    appended = split_data / "events" / "part-2.parquet"
    with duckdb.connect() as con:
        appended_rows = con.execute(f"select count(*) from read_parquet('{appended}')").fetchone()[0]
    assert appended_rows > 100

    held = tmp_path / "part-2.parquet"
    shutil.move(appended, held)
    try:
        first = run_build(split_data, tmp_path / "inc.duckdb", quiet=True, full_refresh=True)
    finally:
        shutil.move(held, appended)
    assert not first.incremental and first.full_reason == "--full-refresh"
    # the new file is staged by a partial build that runs no rule about the catalog; the
    # whole build after it judges what was staged since the last judging, not only what it
    # staged itself (part-2 holds every event naming the course the catalog lacks)
    run_build(split_data, tmp_path / "inc.duckdb", quiet=True, select="base_raw__events")
    second = run_build(split_data, tmp_path / "inc.duckdb", quiet=True)
    assert second.incremental and second.full_reason == ""
    # every data test ran again; the unit tests (the same project, fixed inputs) did not,
    # and no build of this project on this machine runs them again (they passed)
    full_kinds = Counter(node.split(".")[0] for node in first.timings)
    kinds = Counter(node.split(".")[0] for node in second.timings)
    assert full_kinds["unit_test"] > 0 and kinds["unit_test"] == 0
    assert kinds["test"] == full_kinds["test"] == second.tests
    assert dbt.unit_tests_passed(unit_tests_fingerprint(None, None))
    assert not dbt.unit_tests_passed(unit_tests_fingerprint(None, {"k_anonymity": 5}))
    # the incremental build staged the appended file's rows and nothing else
    loaded = _rows(
        tmp_path / "inc.duckdb",
        "select _source_file, count(*) from staging.base_raw__events "
        "where _loaded_at = (select max(_loaded_at) from staging.base_raw__events) group by all",
    )
    assert loaded == [(str(appended), appended_rows)]
    unknown = _rows(
        tmp_path / "inc.duckdb", "select count(*) from main.rejected_events where reject_reason = 'unknown_course'"
    )
    assert unknown[0][0] > 5
    _assert_same_as_a_full_build(tmp_path / "inc.duckdb", demo_db)

    # nothing changed since: the build finds the published file up to date and leaves it be
    published = (tmp_path / "inc.duckdb").stat()
    same = run_cli("build", "--data", str(split_data), "--db", str(tmp_path / "inc.duckdb"), "-q")
    assert same.returncode == 0, same.stderr
    assert "is up to date" in same.stderr and "incrementally" not in same.stderr
    after = (tmp_path / "inc.duckdb").stat()
    assert (after.st_ino, after.st_mtime_ns) == (published.st_ino, published.st_mtime_ns)

    # a loaded file changed in place (a re-export with one row fewer): an incremental build
    # would not read it again, so the build stops, says how to rebuild and publishes nothing
    original = tmp_path / "part-2.original.parquet"
    shutil.copyfile(appended, original)
    with duckdb.connect() as con:
        con.execute(f"copy (select * from read_parquet('{original}') limit {appended_rows - 1}) to '{appended}'")
    try:
        edited = run_cli("build", "--data", str(split_data), "--db", str(tmp_path / "inc.duckdb"), "-q")
        assert edited.returncode == 2 and edited.stderr.count("\n") == 1, edited.stderr
        assert "part-2.parquet" in edited.stderr and "has changed" in edited.stderr
        assert "--full-refresh" in edited.stderr
        assert (tmp_path / "inc.duckdb").stat().st_mtime_ns == published.st_mtime_ns
    finally:
        shutil.copyfile(original, appended)

    # the same file delivered again under a new name: its rows would count twice (rows without
    # an event_id could not be told apart), so the build stops naming both files
    again_path = split_data / "events" / "part-2-again.parquet"
    shutil.copyfile(appended, again_path)
    copied = run_cli("build", "--data", str(split_data), "--db", str(tmp_path / "inc.duckdb"), "-q")
    assert copied.returncode == 2 and copied.stderr.count("\n") == 1, copied.stderr
    assert str(appended) in copied.stderr and str(again_path) in copied.stderr
    # the same events in a file of other bytes (re-exported, newest first): rejected as
    # duplicates, nothing else moves
    with duckdb.connect() as con:
        con.execute(f"copy (select * from read_parquet('{appended}') order by event_ts desc) to '{again_path}'")
    try:
        again = run_cli("build", "--data", str(split_data), "--db", str(tmp_path / "inc.duckdb"), "-q")
        assert again.returncode == 0, again.stderr
        assert "incrementally" in again.stderr
        rejected = dict(_rows(tmp_path / "inc.duckdb", PUBLISHED["rejected_events"]))
        before = dict(_rows(demo_db, PUBLISHED["rejected_events"]))
        # every generated event has an id, so every re-delivered row is rejected (the valid ones as duplicates)
        assert sum(rejected.values()) - sum(before.values()) == appended_rows
        assert rejected["duplicate_event_id"] > before.get("duplicate_event_id", 0)
        for name in ("user_recommendations", "user_segments"):
            assert _rows(tmp_path / "inc.duckdb", PUBLISHED[name]) == _rows(demo_db, PUBLISHED[name])
    finally:
        (split_data / "events" / "part-2-again.parquet").unlink()

    # a delivered file that disappears: the build stops and says how to rebuild
    proc = run_cli("build", "--data", str(split_data), "--db", str(tmp_path / "inc.duckdb"), "-q")
    assert proc.returncode == 2, proc.stderr
    assert "part-2-again.parquet" in proc.stderr and "--full-refresh" in proc.stderr


def test_a_late_file_of_older_events_folds_in_as_a_full_build_would(demo_data, demo_db, tmp_path):
    """A file delivered late (a device that synced days after the fact): its events are older
    than many already loaded, for pairs that already have later events. The incremental build
    folds them in, and publishes what the full build of all the events (demo_db) does."""
    data = tmp_path / "late_data"
    # one valid event in ten from before SPLIT, among ids that occur once (where a repeated
    # id lands decides which row of it is the duplicate: not what this test is about)
    late = (
        f"hash(event_id) % 10 = 0 and {TS} < timestamp '{SPLIT}' "
        "and event_id in (select event_id from e group by event_id having count(*) = 1)"
    )
    with _deliver_events(demo_data, data, "synced-late", late) as con:
        late_rows, older_than_loaded, pairs_with_later_events = con.execute(
            f"""
            with late as (select * from e where {late}),
            loaded as (select * from e where not coalesce({late}, false) and {TS} is not null)
            select
                (select count(*) from late),
                (select count(*) from late where {TS} < (select max({TS}) from loaded)),
                (select count(*) from late where exists (
                    select 1 from loaded
                    where loaded.user_id = late.user_id and loaded.course_id = late.course_id
                        and try_cast(loaded.event_ts as timestamp) > try_cast(late.event_ts as timestamp)
                ))
            """
        ).fetchone()
    assert late_rows > 100 and older_than_loaded == late_rows and pairs_with_later_events > 20

    held = tmp_path / "synced-late.parquet"
    shutil.move(data / "events" / "synced-late.parquet", held)
    try:
        run_build(data, tmp_path / "late.duckdb", quiet=True, full_refresh=True)
    finally:
        shutil.move(held, data / "events" / "synced-late.parquet")
    result = run_build(data, tmp_path / "late.duckdb", quiet=True)
    assert result.incremental
    loaded = _rows(
        tmp_path / "late.duckdb",
        "select count(*) from staging.base_raw__events "
        "where _loaded_at = (select max(_loaded_at) from staging.base_raw__events)",
    )
    assert loaded == [(late_rows,)]
    _assert_same_as_a_full_build(tmp_path / "late.duckdb", demo_db)


def test_the_fingerprint_changes_with_anything_an_incremental_build_depends_on(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    base = build_fingerprint(data, None, None)
    assert build_fingerprint(data, None, None) == base
    assert build_fingerprint(data, "2026-06-01 00:00:00", None) != base
    assert build_fingerprint(data, None, {"half_life_days": 60}) != base
    assert build_fingerprint(tmp_path / "other", None, None) != base


def test_the_fingerprint_covers_the_project_and_the_udfs(tmp_path, monkeypatch):
    """Editing a model, a seed or a UDF means a full build: their unit tests must run again."""
    data = tmp_path / "data"
    data.mkdir()
    monkeypatch.setenv("LEARNMART_PROJECT_DIR", str(copy_project(tmp_path / "repo")))
    shutil.copytree(REPO / "udfs", tmp_path / "repo" / "udfs", ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr("learnmart.warehouse.inputs.UDF_DIR", tmp_path / "repo" / "udfs")
    base = build_fingerprint(data, None, None)
    # compiled bytecode is not source
    (tmp_path / "repo" / "udfs" / "__pycache__").mkdir()
    (tmp_path / "repo" / "udfs" / "__pycache__" / "recommend.cpython-311.pyc").write_bytes(b"\0")
    assert build_fingerprint(data, None, None) == base
    for edited in (
        "dbt_project/models/marts/recommendations/course_pairs.sql",
        "dbt_project/profiles.yml",
        "dbt_project/tests/assert_no_pii_past_staging.sql",
        "seeds/event_weights.csv",
        "udfs/recommend.py",
    ):
        path = tmp_path / "repo" / edited
        original = path.read_bytes()
        path.write_bytes(original + b"\n")
        assert build_fingerprint(data, None, None) != base, edited
        path.write_bytes(original)
        assert build_fingerprint(data, None, None) == base


def test_incremental_tables_are_the_incremental_models(demo_db):
    """The published file lists the tables it built incrementally, from the models' config alone."""
    configured = set()
    for path in (REPO / "dbt_project" / "models").rglob("*.sql"):
        if re.search(r"materialized\s*=\s*'incremental'", path.read_text()):
            configured.add(path.stem)
    tables = read_published(demo_db).incremental_tables
    assert configured == {table for _, table in tables}
    assert {schema for schema, _ in tables} <= {"staging", "intermediate"}


def test_an_incremental_build_starts_from_the_incremental_tables_alone(demo_db, tmp_path):
    """The carried-over file holds the published incremental tables, row for row, and nothing else."""
    tables = read_published(demo_db).incremental_tables
    new = tmp_path / "new.duckdb"
    assert carry_over_incremental_tables(demo_db, new, tables)
    objects = {(s, t) for s, t in _rows(new, "select table_schema, table_name from information_schema.tables")}
    assert objects == set(tables)
    for schema, table in tables:
        sql = f"select * from {schema}.{table} order by all"
        assert _rows(new, sql) == _rows(demo_db, sql), table
    assert new.stat().st_size < demo_db.stat().st_size
    # the incremental build writes into this file: it must stay readable by DuckDB 1.4 clients
    assert storage_version(new) == "v1.4.0+"


def test_a_published_file_without_an_incremental_table_means_a_full_build(demo_db, tmp_path):
    tables = read_published(demo_db).incremental_tables
    old = tmp_path / "old.duckdb"
    shutil.copyfile(demo_db, old)
    with duckdb.connect(str(old)) as con:
        con.execute("drop table intermediate.int_interactions_accumulated")
    new = tmp_path / "new.duckdb"
    assert not carry_over_incremental_tables(old, new, tables)
    assert not new.exists()
    assert not carry_over_incremental_tables(demo_db, new, ())  # a file that lists none
    assert not new.exists()


def test_the_inputs_fingerprint_changes_with_the_bytes_read_and_not_with_time_stamps(tmp_path, monkeypatch):
    data = tmp_path / "data"
    (data / "events").mkdir(parents=True)
    (data / "events" / "part-1.csv").write_text("user_id,event_type,event_ts\nu1,view,2026-01-01\n")
    (data / "users.parquet").write_bytes(b"not really parquet, only bytes to hash")
    monkeypatch.delenv("LEARNMART_SALT", raising=False)
    base = inputs_fingerprint(data)
    assert inputs_fingerprint(data) == base
    # the same bytes with a new time stamp (a re-delivery), and files the build does not read
    os.utime(data / "users.parquet", (1, 1))
    (data / "notes.txt").write_text("not a raw entity")
    (data / "events" / "readme.md").write_text("nor is this")
    assert inputs_fingerprint(data) == base
    # one byte changed in place, size and time stamp kept
    users = data / "users.parquet"
    stamp = users.stat()
    users.write_bytes(b"Not really parquet, only bytes to hash")
    os.utime(users, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    changed = inputs_fingerprint(data)
    assert changed != base
    # a new delivery, the same bytes under another name, another salt, another engine version
    (data / "events" / "part-2.csv").write_text("user_id,event_type,event_ts\nu1,view,2026-01-01\n")
    assert inputs_fingerprint(data) != changed
    (data / "events" / "part-2.csv").rename(data / "events" / "part-3.csv")
    renamed = inputs_fingerprint(data)
    (data / "events" / "part-3.csv").unlink()
    assert renamed != changed and inputs_fingerprint(data) == changed
    monkeypatch.setenv("LEARNMART_SALT", "a secret")
    assert inputs_fingerprint(data) != changed
    monkeypatch.delenv("LEARNMART_SALT")
    real_version = build.importlib.metadata.version

    def older_duckdb(name: str) -> str:
        return "0.9.0" if name == "duckdb" else real_version(name)

    monkeypatch.setattr(build.importlib.metadata, "version", older_duckdb)
    assert inputs_fingerprint(data) != changed

    # a library missing altogether: no traceback here; the build then says dbt is not installed
    def no_dbt_duckdb(name: str) -> str:
        if name == "dbt-duckdb":
            raise build.importlib.metadata.PackageNotFoundError(name)
        return real_version(name)

    monkeypatch.setattr(build.importlib.metadata, "version", no_dbt_duckdb)
    assert inputs_fingerprint(data) != changed


def _published_file(path: Path, **context) -> Path:
    """A file with what read_published reads of a published build: its int_build_context_resolved row."""
    row = {"build_fingerprint": "b1", "inputs_fingerprint": "i1", "built_at": "2026-07-01 08:00:00",
           "verdicts_valid_until": None, **context}  # fmt: skip
    with duckdb.connect(str(path)) as con:
        con.execute("create schema intermediate")
        con.execute(
            "create table intermediate.int_build_context_resolved as "
            "select $build_fingerprint::varchar as build_fingerprint, "
            "$inputs_fingerprint::varchar as inputs_fingerprint, $built_at::timestamp as built_at, "
            "$verdicts_valid_until::timestamp as verdicts_valid_until, "
            "['staging.base_raw__events'] as incremental_tables",
            row,
        )
    return path


def _up_to_date(db: Path, fingerprint: str, inputs: str) -> dt.datetime | None:
    """When the published file was built, if a build with these fingerprints finds it up to date now."""
    published = read_published(db)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return published.built_at if is_up_to_date(published, Request(fingerprint, inputs), now) else None


def test_a_published_file_is_up_to_date_only_with_both_fingerprints_and_no_verdict_due(tmp_path):
    """What the published file says is read as it is; which verdicts expire when is the
    warehouse's rule (int_build_context_resolved.verdicts_valid_until and its unit test)."""
    built = dt.datetime(2026, 7, 1, 8)
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=365)).replace(tzinfo=None).isoformat(sep=" ")
    ok = _published_file(tmp_path / "ok.duckdb")
    assert _up_to_date(ok, "b1", "i1") == built
    assert read_published(ok).incremental_tables == (("staging", "base_raw__events"),)
    # a verdict that holds until a time still ahead
    assert _up_to_date(_published_file(tmp_path / "ahead.duckdb", verdicts_valid_until=future), "b1", "i1") == built
    # another project or settings, other raw files, or a partial build (no inputs to match)
    assert _up_to_date(ok, "b2", "i1") is None
    assert _up_to_date(ok, "b1", "i2") is None
    assert _up_to_date(ok, "b1", "") is None
    assert _up_to_date(_published_file(tmp_path / "partial.duckdb", inputs_fingerprint=""), "b1", "") is None
    # a verdict that has expired: a send rejected as in the future is now in the past
    due = _published_file(tmp_path / "due.duckdb", verdicts_valid_until="2026-07-02 00:00:00")
    assert _up_to_date(due, "b1", "i1") is None
    # no file, or a file that is not a learnmart build of this version
    assert _up_to_date(tmp_path / "absent.duckdb", "b1", "i1") is None
    duckdb.connect(str(tmp_path / "other.duckdb")).close()
    assert _up_to_date(tmp_path / "other.duckdb", "b1", "i1") is None
    assert read_published(tmp_path / "other.duckdb").build_fingerprint is None


def test_a_partial_build_leaves_no_inputs_fingerprint_to_match(tmp_path):
    """--select may rebuild some tables and not int_build_context_resolved: the file then mixes builds."""
    partial = _published_file(tmp_path / "partial.duckdb")
    assert _up_to_date(partial, "b1", "i1") is not None
    forget_inputs(partial)
    assert _up_to_date(partial, "b1", "i1") is None
    with duckdb.connect(str(partial), read_only=True) as con:
        fingerprint = con.execute("select inputs_fingerprint from intermediate.int_build_context_resolved")
        assert fingerprint.fetchall() == [("",)]
    # a file from before the inputs fingerprint existed: nothing to clear, and no error
    old = tmp_path / "old.duckdb"
    with duckdb.connect(str(old)) as con:
        con.execute("create schema intermediate")
        con.execute("create table intermediate.int_build_context_resolved as select 'b1' as build_fingerprint")
    forget_inputs(old)
    assert read_published(old).build_fingerprint == "b1"
