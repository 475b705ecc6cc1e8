"""Which raw files a build reads (issue 25, items 6, 7, 10, 13): every data file the contract
names, each once, with paths taken literally; anything else named in a warning; nothing that
could hang or double-count the build."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from learnmart import raw_files
from learnmart.paths import project_dir
from tests.conftest import run_cli

HEADER = "user_id,event_type,event_ts,channel\n"


def _csv(path: Path, *rows: str) -> Path:
    """A CSV of HEADER and ``rows`` (user_id,event_type,event_ts; channel empty unless given)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + "".join(row + ("," if row.count(",") < 3 else "") + "\n" for row in rows))
    return path


def _sql_text(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"  # COPY ... TO takes its path as it is


def _hostile_folder(root: Path) -> Path:
    """A data folder whose own name and file names hold glob characters, with files in
    every form the contract reads: upper-case suffix, gzip, subfolder, a quoted line break,
    Parquet files that type one column differently; and a sibling folder the glob
    `d[1]` would match instead."""
    data = root / "gl" / "d[1]"
    events = data / "events"
    _csv(events / "day[1].csv", "bracket,checkin,2026-01-01")
    _csv(events / "day1.csv", "plain,checkin,2026-01-01")
    _csv(events / "day2.CSV", "upper,checkin,2026-01-02")
    (events / "day3.csv.gz").write_bytes(gzip.compress((HEADER + "gz,checkin,2026-01-03,\n").encode()))
    _csv(events / "2026-06" / "day4.csv", "sub,checkin,2026-06-01")
    _csv(events / "day5.csv", 'quoted,checkin,2026-06-02,"two\nlines"')
    duckdb.sql(
        "copy (select 'pq1' as user_id, 'purchase' as event_type, timestamp '2026-01-04' as event_ts, "
        f"9.5::double as amount) to {_sql_text(events / 'p[1].parquet')} (format parquet)"
    )
    duckdb.sql(
        "copy (select 'pq2' as user_id, 'purchase' as event_type, date '2026-01-05' as event_ts, "
        f"{{'a': 1}} as amount) to {_sql_text(events / 'p2.parquet')} (format parquet)"
    )
    (data / "notes.txt").write_text("not data")
    (events / "_SUCCESS").write_text("")
    _csv(root / "gl" / "d1" / "events.csv", "wrong_folder,checkin,2026-01-01")
    return data


def test_scan_finds_every_data_file_in_any_case_and_depth_and_lists_the_rest(tmp_path):
    data = _hostile_folder(tmp_path)
    (data / "Users.CSV").write_text("user_id\nu1\n")
    (data / "truth").mkdir()  # the generator's, read by the evaluation models: not listed
    found = raw_files.scan(data)
    names = [str(path.relative_to(data)) for path in found.files["events"]]
    assert names == [
        "events/2026-06/day4.csv",
        "events/day1.csv",
        "events/day2.CSV",
        "events/day3.csv.gz",
        "events/day5.csv",
        "events/day[1].csv",
        "events/p2.parquet",
        "events/p[1].parquet",
    ]
    assert found.files["users"] == [data / "Users.CSV"]
    assert sorted(str(path.relative_to(data)) for path in found.ignored) == ["events/_SUCCESS", "notes.txt"]


def test_sql_paths_are_literal_to_duckdbs_readers(tmp_path):
    """DuckDB expands [, * and ? in a reader's path: day[1].csv would read day1.csv."""
    _csv(tmp_path / "day[1].csv", "bracket,checkin,2026-01-01")
    _csv(tmp_path / "day1.csv", "plain,checkin,2026-01-01")
    _csv(tmp_path / "d*?.csv", "star,checkin,2026-01-01")
    for name, user in (("day[1].csv", "bracket"), ("d*?.csv", "star")):
        rows = duckdb.sql(f"select user_id from read_csv({raw_files.sql_path(tmp_path / name)})").fetchall()
        assert rows == [(user,)]


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    data = _hostile_folder(root)
    db = root / "w.duckdb"
    result = run_cli("build", "--data", str(data), "--db", str(db), "-q")
    assert result.returncode == 0, result.stderr
    return data, db, result.stderr


def test_every_file_is_read_once_from_the_folder_named(hostile_build):
    data, db, _ = hostile_build
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("select _source_file, user_id from staging.base_raw__events order by all").fetchall()
        summary = "select rows_read, rows_accepted + rows_rejected from build_summary where entity = 'events'"
        assert con.execute(summary).fetchone() == (8, 8)
    assert sorted(user for _, user in rows) == sorted(
        ["bracket", "plain", "upper", "gz", "sub", "quoted", "pq1", "pq2"]
    )
    assert (str(data / "events" / "day[1].csv"), "bracket") in rows
    assert all(file.startswith(str(data)) for file, _ in rows)


def test_parquet_columns_typed_differently_and_quoted_line_breaks_are_read_as_text(hostile_build):
    _, db, _ = hostile_build
    with duckdb.connect(str(db), read_only=True) as con:
        sql = "select user_id, reject_reason from staging.base_raw__events where user_id like 'pq%'"
        pq = dict(con.execute(sql).fetchall())
        channel = con.execute("select channel from staging.stg_raw__events where user_id = 'quoted'").fetchall()
    assert pq == {"pq1": None, "pq2": "invalid_amount"}  # a struct is not an amount
    assert channel == [("two\nlines",)]


def test_what_is_not_read_is_named_in_one_warning_line(hostile_build):
    _, _, stderr = hostile_build
    warnings = [line for line in stderr.splitlines() if line.startswith("learnmart: warning:")]
    assert len(warnings) == 1, stderr
    assert "events/_SUCCESS" in warnings[0] and "notes.txt" in warnings[0]


def test_dbt_run_directly_reads_the_same_files(hostile_build, tmp_path):
    """Without `learnmart build`'s manifest the macro asks the UDF learnmart_raw_files: one list."""
    data, db, _ = hostile_build
    direct = tmp_path / "direct.duckdb"
    dbt = str(Path(sys.executable).parent / "dbt")
    proc = subprocess.run(
        [dbt, "run", "--select", "+base_raw__events", "--vars", f'{{data_dir: "{data}"}}', "--profiles-dir", "."],
        cwd=project_dir(),
        env={
            **os.environ,
            "LEARNMART_DBT_PATH": str(direct),
            "DBT_TARGET_PATH": str(tmp_path / "target"),
            "DBT_LOG_PATH": str(tmp_path / "logs"),
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:]
    sql = "select _source_file, user_id from staging.base_raw__events order by all"
    with duckdb.connect(str(direct), read_only=True) as a, duckdb.connect(str(db), read_only=True) as b:
        assert a.execute(sql).fetchall() == b.execute(sql).fetchall()


def test_a_fifo_or_a_folder_named_like_a_raw_file_stops_the_build_at_once(tmp_path):
    data = tmp_path / "data"
    _csv(data / "events" / "day1.csv", "u1,checkin,2026-01-01")
    os.mkfifo(data / "events" / "pipe.csv")
    result = run_cli("build", "--data", str(data), "--db", str(tmp_path / "w.duckdb"), "-q", timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "pipe.csv" in result.stderr and "not a regular file" in result.stderr
    (data / "events" / "pipe.csv").unlink()
    (data / "users.parquet").mkdir()
    result = run_cli("build", "--data", str(data), "--db", str(tmp_path / "w.duckdb"), "-q", timeout=60)
    assert result.returncode == 2 and "users.parquet is a folder" in result.stderr, result.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_the_same_bytes_under_two_names_stop_the_build_naming_both(tmp_path):
    """Events without an event_id cannot be told apart: a delivery copied under a new name
    doubled revenue with exit 0 (issue 25, item 7)."""
    data = tmp_path / "data"
    first = _csv(data / "events" / "day1.csv", "u1,checkin,2026-01-01", "u1,checkin,2026-01-01")
    _csv(data / "events" / "empty-1.csv")  # header alone, twice: nothing to count twice
    _csv(data / "events" / "empty-2.csv")
    db = tmp_path / "w.duckdb"
    assert run_cli("build", "--data", str(data), "--db", str(db), "-q").returncode == 0
    before = db.read_bytes()
    copy = data / "events" / "day1-again.csv"
    copy.write_bytes(first.read_bytes())
    result = run_cli("build", "--data", str(data), "--db", str(db), "-q")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert str(first) in result.stderr and str(copy) in result.stderr
    assert db.read_bytes() == before


def test_a_header_naming_a_column_twice_stops_the_build_naming_file_and_column(tmp_path):
    data = tmp_path / "data"
    (data / "events").mkdir(parents=True)
    _csv(data / "events" / "good.csv", "u1,checkin,2026-01-01")
    (data / "events" / "twice.csv").write_text("user_id,event_type,USER_ID,event_ts\nu1,checkin,u2,2026-01-01\n")
    result = run_cli("build", "--data", str(data), "--db", str(tmp_path / "w.duckdb"), "-q")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "twice.csv" in result.stderr and "'user_id' twice" in result.stderr


def test_events_without_ids_in_two_deliveries_keep_distinct_ids(tmp_path):
    """stg_raw__events gives a row without event_id the id row-<n>: n runs on across
    deliveries (base_raw__events adds the rows loaded before), so no two collide."""
    data = tmp_path / "data"
    _csv(data / "events" / "day1.csv", "u1,checkin,2026-01-01", "u2,checkin,2026-01-01")
    db = tmp_path / "w.duckdb"
    assert run_cli("build", "--data", str(data), "--db", str(db), "-q").returncode == 0
    _csv(data / "events" / "day2.csv", "u1,checkin,2026-01-02", "u3,checkin,2026-01-02")
    result = run_cli("build", "--data", str(data), "--db", str(db), "-q")
    assert result.returncode == 0 and "incrementally" in result.stderr, result.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        ids = [row[0] for row in con.execute("select event_id from staging.stg_raw__events").fetchall()]
    assert len(ids) == len(set(ids)) == 4


def test_a_csv_duckdb_cannot_read_is_named_in_the_one_line(tmp_path):
    """DuckDB names the file on a line of its own, which the one-line message used to drop."""
    data = tmp_path / "data"
    _csv(data / "events" / "good.csv", "u1,checkin,2026-01-01")
    (data / "events" / "bad.csv").write_bytes(HEADER.encode() + b"u2,checkin,2026-01-01,\nu3,\xff\xfe,2026-01-01,\n")
    result = run_cli("build", "--data", str(data), "--db", str(tmp_path / "w.duckdb"), "-q")
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert f"(file {data / 'events' / 'bad.csv'})" in result.stderr
