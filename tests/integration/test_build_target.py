"""`build --db` publishes only over nothing or over a learnmart warehouse nobody is writing."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import run_cli


@pytest.fixture
def data(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "events.csv").write_text("user_id,event_type,event_ts\nu1,view,2026-01-01\n")
    (folder / "users.csv").write_text("user_id,signup_ts\nu1,2026-01-01\n")
    return folder


def _refused(data, db, *needles):
    result = run_cli("build", "--data", str(data), "--db", str(db), "-q")
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in result.stderr, result.stderr
    return result


def test_a_file_that_is_not_a_learnmart_warehouse_is_never_replaced(data, tmp_path):
    sqlite = tmp_path / "crm.sqlite"
    sqlite.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 8)
    before = sqlite.read_bytes()
    _refused(data, sqlite, "not a DuckDB file")
    assert sqlite.read_bytes() == before
    other = tmp_path / "other.duckdb"
    with duckdb.connect(str(other)) as con:
        con.execute("create table customers as select 1 as id")
    before = other.read_bytes()
    _refused(data, other, "not a learnmart warehouse")
    assert other.read_bytes() == before
    empty = tmp_path / "empty.duckdb"
    empty.touch()
    _refused(data, empty, "not a DuckDB file")
    assert empty.read_bytes() == b""


def test_no_db_inside_the_data_folder(data):
    before = (data / "users.csv").read_bytes()
    _refused(data, data / "users.csv", "inside the data folder")
    _refused(data, data / "new.duckdb", "inside the data folder")
    assert (data / "users.csv").read_bytes() == before and not (data / "new.duckdb").exists()


def test_devices_fifos_directories_and_paths_under_files_exit_2(data, tmp_path):
    fifo = tmp_path / "pipe.duckdb"
    os.mkfifo(fifo)
    _refused(data, fifo, "not a regular file")
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    if os.path.exists("/dev/full"):
        _refused(data, "/dev/full", "not a regular file")
        assert stat.S_ISCHR(os.stat("/dev/full").st_mode)
    _refused(data, tmp_path, "is a directory")
    (tmp_path / "plain").write_text("x")
    _refused(data, tmp_path / "plain" / "w.duckdb", "not a directory")
    for system in ("/proc/learnmart.duckdb", "/sys/learnmart.duckdb"):
        if os.path.isdir(os.path.dirname(system)):
            _refused(data, system)


def test_a_warehouse_open_for_writing_elsewhere_is_left_alone(demo_db, data, tmp_path):
    db = tmp_path / "held.duckdb"
    shutil.copyfile(demo_db, db)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
            "con.execute('create table scratch as select 1 as x'); print('ready', flush=True); time.sleep(60)",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        wal = tmp_path / "held.duckdb.wal"
        assert wal.exists()
        before = (db.read_bytes(), wal.read_bytes())
        _refused(data, db, "write-ahead log")
        assert (db.read_bytes(), wal.read_bytes()) == before
    finally:
        holder.kill()
        holder.wait()
    # the WAL of a writer that went away stops the build too, until someone checkpoints it
    _refused(data, db, "write-ahead log")
    with duckdb.connect(str(db)) as con:
        con.execute("checkpoint")
    # and a writer holding the file with nothing pending is found by its lock
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); print('ready', flush=True); time.sleep(60)",
            str(db),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        assert not (tmp_path / "held.duckdb.wal").exists()
        _refused(data, db, "open for writing")
    finally:
        holder.kill()
        holder.wait()


def test_a_warehouse_from_before_the_model_renames_is_still_recognised(data, tmp_path):
    """A file with the build context under its old name (int_build_context) is ours: rebuilt
    over, while a DuckDB file with other tables is refused (checked without a build)."""
    from learnmart.warehouse.checks import check_target
    from learnmart.warehouse.errors import BuildEnvironmentError

    legacy, other = tmp_path / "legacy.duckdb", tmp_path / "other.duckdb"
    for db, table in ((legacy, "int_build_context"), (other, "int_context")):
        with duckdb.connect(str(db)) as con:
            con.execute("create schema intermediate")
            con.execute(f"create table intermediate.{table} as select 'x' as build_fingerprint")
    check_target(legacy, data)
    with pytest.raises(BuildEnvironmentError, match="not a learnmart warehouse"):
        check_target(other, data)
