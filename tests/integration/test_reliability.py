"""Faults, concurrency and BI access: a build is all-or-nothing and readers are never broken."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import pytest

from tests.conftest import LEARNMART, REPO, run_cli

BI_DUCKDB = REPO / ".venv" / "bi-duckdb14" / "bin" / "python"
MARTS_SQL = "select table_name from duckdb_tables() where schema_name = 'main' order by 1"


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _marts(db):
    with duckdb.connect(str(db), read_only=True) as con:
        return [r[0] for r in con.execute(MARTS_SQL).fetchall()]


def test_the_file_opens_in_duckdb_1_4_as_bi_tools_bundle_it(demo_db):
    assert BI_DUCKDB.exists(), "run `make install`: it sets up the DuckDB 1.4 client this test uses"
    code = f"""
import duckdb, json
con = duckdb.connect({str(demo_db)!r}, read_only=True)
marts = [r[0] for r in con.execute({MARTS_SQL!r}).fetchall()]
counts = {{m: con.execute(f'select count(*) from "{{m}}"').fetchone()[0] for m in marts}}
print(json.dumps([duckdb.__version__, counts]))
"""
    out = subprocess.run([str(BI_DUCKDB), "-c", code], capture_output=True, text=True, check=True)
    version, counts = json.loads(out.stdout)
    assert version.startswith("1.4.")
    assert set(counts) == set(_marts(demo_db))
    assert counts["user_recommendations"] > 0 and counts["user_segments"] > 0


def test_the_readme_shell_recipe_works_with_the_duckdb_1_4_cli(demo_db):
    shell = BI_DUCKDB.parent / "duckdb"
    assert shell.exists(), "run `make install`: it installs the DuckDB 1.4 shell this test uses"
    out = subprocess.run(
        [str(shell), "-readonly", str(demo_db), "-csv", "-c", "select count(*) as segments from segment_summary;"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.splitlines() == ["segments", "13"]


def test_sqlalchemy_duckdb_engine_reads_every_mart_read_only(demo_db):
    sa = pytest.importorskip("sqlalchemy")
    marts = _marts(demo_db)
    engine = sa.create_engine(f"duckdb:///{demo_db}", connect_args={"read_only": True})
    with engine.connect() as conn:
        for mart in marts:
            conn.execute(sa.text(f'select * from "{mart}" limit 5')).fetchall()
        n = conn.execute(sa.text("select count(*) from user_segments")).scalar()
    engine.dispose()
    assert n > 0


def test_fifty_concurrent_lookups_all_answer_correctly(demo_db):
    with duckdb.connect(str(demo_db), read_only=True) as con:
        expected = dict(
            con.execute(
                "select user_id, list(course_id order by rank) from user_recommendations group by 1 order by 1 limit 50"
            ).fetchall()
        )

    def lookup(user):
        result = run_cli("recommend", user, "--db", str(demo_db), "--format", "json")
        return user, result.returncode, result.stdout

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(lookup, expected))
    assert len(results) == 50
    for user, code, out in results:
        assert code == 0
        assert [r["course_id"] for r in json.loads(out)] == expected[user]


def test_readers_keep_working_while_a_build_runs_and_publishes(demo_db, demo_data, tmp_path):
    sa = pytest.importorskip("sqlalchemy")
    db = tmp_path / "w.duckdb"
    shutil.copyfile(demo_db, db)
    with duckdb.connect(str(db), read_only=True) as con:
        before = con.execute("select built_at from build_summary limit 1").fetchone()
        user = con.execute("select min(user_id) from user_recommendations").fetchone()[0]
    build = subprocess.Popen(
        [*LEARNMART, "build", "--data", str(demo_data), "--db", str(db), "-q", "--full-refresh"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    reads = 0
    while build.poll() is None:
        assert run_cli("recommend", user, "--db", str(db), "--format", "csv").returncode == 0
        with duckdb.connect(str(db), read_only=True) as con:
            assert con.execute("select count(*) from user_segments").fetchone()[0] > 0
        engine = sa.create_engine(f"duckdb:///{db}", connect_args={"read_only": True})
        with engine.connect() as conn:
            assert conn.execute(sa.text("select count(*) from segment_summary")).scalar() > 0
        engine.dispose()
        reads += 1
    assert build.returncode == 0, build.stderr.read()
    assert reads > 0
    with duckdb.connect(str(db), read_only=True) as con:
        after = con.execute("select built_at from build_summary limit 1").fetchone()
    assert after != before  # the new build is what readers now see


def test_builds_killed_at_random_moments_never_harm_the_published_file(demo_db, demo_data, tmp_path):
    runs = int(os.environ.get("LEARNMART_FAULT_RUNS", "3"))  # 20+ with LEARNMART_FAULT_RUNS=20
    db = tmp_path / "w.duckdb"
    shutil.copyfile(demo_db, db)
    before = _sha(db)
    rng = random.Random(20261128)
    for run in range(runs):
        # full and incremental builds in turn; a salt of its own makes each one a real build,
        # where the same inputs would find the published file up to date and stop at once
        refresh = ["--full-refresh"] if run % 2 else []
        proc = subprocess.Popen(
            [*LEARNMART, "build", "--data", str(demo_data), "--db", str(db), "-q", *refresh],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            env={**os.environ, "LEARNMART_SALT": f"salt of run {run}"},
        )
        time.sleep(rng.uniform(0.2, 9.0))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            assert _sha(db) == before
        else:  # it finished first: that publish is the new baseline
            assert proc.returncode == 0
            before = _sha(db)
        with duckdb.connect(str(db), read_only=True) as con:
            assert con.execute("select count(*) from user_recommendations").fetchone()[0] > 0
    result = run_cli("build", "--data", str(demo_data), "--db", str(db), "-q")
    assert result.returncode == 0, result.stderr
    assert not list(tmp_path.glob(".w.duckdb.building-*"))


@pytest.fixture
def tiny_disk(tmp_path, demo_db):
    mount = tmp_path / "disk"
    mount.mkdir()
    size_mb = demo_db.stat().st_size // 2**20 + 8  # room for the previous file, not for a new build
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(mount)], capture_output=True
    )
    if mounted.returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_build_on_a_full_disk_fails_clearly_and_keeps_the_previous_file(tiny_disk, demo_data, demo_db):
    db = tiny_disk / "w.duckdb"
    shutil.copyfile(demo_db, db)
    filler = tiny_disk / "filler"
    free = shutil.disk_usage(tiny_disk).free
    filler.write_bytes(b"\0" * max(0, free - 2 * 2**20))  # leave 2 MB: far too little for a build
    before = _sha(db)
    result = run_cli("build", "--data", str(demo_data), "--db", str(db), "-q", "--full-refresh")
    assert result.returncode == 2, result.stderr
    assert "full" in result.stderr and result.stderr.count("\n") == 1
    assert _sha(db) == before
    assert not list(tiny_disk.glob(".w.duckdb.building-*"))


def test_a_build_spills_past_its_memory_limit_into_the_temp_dir_and_one_that_cannot_fit_says_so(
    demo_data, demo_db, tmp_path
):
    """--memory-limit and --temp-dir reach DuckDB. Under 64 MB (one model at a time) the demo
    build has to spill, into --temp-dir, and still publishes what an unlimited build does: dbt
    opens a cursor per model, and a temp_directory set again on each one failed the build at
    the first model after a spill. Under 1 MB nothing fits, and the build says so in one line
    instead of blaming a raw file."""
    db = tmp_path / "limited.duckdb"
    spill = tmp_path / "spill"
    args = ["build", "--data", str(demo_data), "--db", str(db), "--full-refresh", "-q", "--threads", "1"]
    proc = subprocess.Popen(
        [*LEARNMART, *args, "--memory-limit", "64MB", "--temp-dir", str(spill)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    spilled = False
    while proc.poll() is None:
        # DuckDB makes the folder when it first spills and removes it when the build closes it
        spilled = spilled or spill.is_dir()
        time.sleep(0.02)
    assert proc.returncode == 0, proc.stderr.read()
    assert spilled
    sql = "select user_id, rank, course_id, reason from main.user_recommendations order by all"
    with duckdb.connect(str(db), read_only=True) as con, duckdb.connect(str(demo_db), read_only=True) as ref:
        assert con.execute(sql).fetchall() == ref.execute(sql).fetchall()

    before = _sha(db)
    tiny = run_cli(*args, "--memory-limit", "1MB")
    assert tiny.returncode == 2 and tiny.stderr.count("\n") == 1, tiny.stderr
    assert "ran out of memory" in tiny.stderr and "memory_limit 1MB" in tiny.stderr
    assert "--memory-limit" in tiny.stderr and "cannot read" not in tiny.stderr
    assert _sha(db) == before
    assert not list(tmp_path.glob(".limited.duckdb.building-*"))


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (from /proc)."""
    found = []
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat_file.parent.name))
    return found


def _alive(pid: int) -> bool:
    """Running, not a zombie nobody reaped yet."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_killing_learnmart_alone_takes_its_dbt_child_with_it(demo_data, demo_db, tmp_path):
    """KILL or TERM to the learnmart process alone left dbt running as an orphan in 13 of 13
    trials, writing a .building-PID folder (issue 25, item 9). Now dbt dies with it, and the
    next build clears what the killed one left."""
    db = tmp_path / "w.duckdb"
    shutil.copyfile(demo_db, db)
    before = _sha(db)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        proc = subprocess.Popen(
            [*LEARNMART, "build", "--data", str(demo_data), "--db", str(db), "-q", "--full-refresh"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while not (children := _children(proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert children, "dbt never started"
        time.sleep(1.0)  # well into dbt's run
        proc.send_signal(sig)  # the learnmart process only, not its process group
        proc.wait()
        deadline = time.monotonic() + 10
        while any(_alive(child) for child in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(child) for child in children), f"dbt outlived learnmart after {sig.name}"
        assert _sha(db) == before
    assert list(tmp_path.glob(".w.duckdb.building-*"))  # what the killed builds left ...
    result = run_cli("build", "--data", str(demo_data), "--db", str(db), "-q", "--full-refresh")
    assert result.returncode == 0, result.stderr
    assert not list(tmp_path.glob(".w.duckdb.building-*"))  # ... the next build removes
