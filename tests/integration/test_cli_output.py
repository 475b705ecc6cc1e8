"""What the CLI writes (issue 25, items 8, 12, 13): CSV no spreadsheet runs as formulas, tables
no data can turn into terminal codes, and one line instead of a traceback when a write fails."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess

import duckdb
import pytest
from learnmart.cli.output import csv_safe, text_table

from tests.conftest import run_cli

FORMULA = '=HYPERLINK("http://x.example","y")'
ESCAPES = "\x1b]0;pwned\x07\x1b[2JTitle"


def test_csv_safe_quotes_what_a_spreadsheet_would_run_and_nothing_else():
    for cell in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert csv_safe(cell) == "'" + cell
    for cell in ("c1", "a=b", "", "007", -1, 2.5, None):
        assert csv_safe(cell) == cell  # numbers stay numbers, even negative ones


def test_a_table_cell_cannot_send_terminal_codes():
    table = text_table(["title"], [[ESCAPES], ["line\nbreak\ttab"]], title="for \x1b[31mu1")
    assert "\x1b" not in table and "\x07" not in table
    assert "]0;pwned[2JTitle" in table and "line break tab" in table


@pytest.fixture(scope="module")
def hostile_db(demo_db, tmp_path_factory):
    """demo_db with a course id a spreadsheet would run, a title full of terminal codes in a
    reason, and a salt (audience exports refuse to run without one)."""
    db = tmp_path_factory.mktemp("hostile_db") / "w.duckdb"
    shutil.copyfile(demo_db, db)
    with duckdb.connect(str(db)) as con:
        user, course = con.execute(
            "select user_id, course_id from user_recommendations where rank = 1 order by user_id limit 1"
        ).fetchone()
        con.execute(
            "update user_recommendations set course_id = ?, reason = ? where user_id = ? and rank = 1",
            [FORMULA, f"because you completed {ESCAPES}", user],
        )
        other = con.execute("select min(course_id) from course_similarity").fetchone()[0]
        con.execute("update course_similarity set other_course_id = '@SUM(A1)' where course_id = ?", [other])
        con.execute("update course_lookalikes set course_id = ? where course_id = ?", [FORMULA, course])
        con.execute("update intermediate.int_model_parameters_resolved set salt_configured = true")
    return db, user, other


def test_recommend_and_similar_write_csv_no_spreadsheet_runs(hostile_db):
    db, user, other = hostile_db
    out = run_cli("recommend", user, "--db", str(db), "--format", "csv")
    assert out.returncode == 0, out.stderr
    first = list(csv.DictReader(io.StringIO(out.stdout)))[0]
    assert first["course_id"] == "'" + FORMULA
    raw = run_cli("recommend", user, "--db", str(db), "--format", "json")
    assert json.loads(raw.stdout)[0]["course_id"] == FORMULA  # JSON is data for programs: as it is
    similar = run_cli("similar", other, "--db", str(db), "--format", "csv")
    assert "'@SUM(A1)" in similar.stdout and "\n@SUM" not in similar.stdout


def test_audience_csv_is_neutralised_and_parquet_is_as_it_is(hostile_db, tmp_path):
    db, _, _ = hostile_db
    out = run_cli("audience", "--lookalike", FORMULA, "--out", str(tmp_path / "a.csv"), "--db", str(db))
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader((tmp_path / "a.csv").open()))
    assert rows and {row["course_id"] for row in rows} == {"'" + FORMULA}
    assert all(float(row["score"]) == float(row["score"]) for row in rows)  # numbers are untouched
    out = run_cli("audience", "--lookalike", FORMULA, "--out", str(tmp_path / "a.parquet"), "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert duckdb.sql(f"select distinct course_id from '{tmp_path / 'a.parquet'}'").fetchall() == [(FORMULA,)]


def test_recommend_table_output_carries_no_terminal_codes(hostile_db):
    db, user, _ = hostile_db
    out = run_cli("recommend", user, "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert "because you completed ]0;pwned" in out.stdout and "\x1b" not in out.stdout and "\x07" not in out.stdout


def test_a_huge_k_or_size_asks_for_everything_instead_of_a_traceback(hostile_db, tmp_path):
    db, user, other = hostile_db
    huge = "9223372036854775808"
    for args in (("similar", other, "--k", huge), ("recommend", user, "--k", huge)):
        out = run_cli(*args, "--db", str(db), "--format", "json")
        assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
        assert len(json.loads(out.stdout)) > 0
    out = run_cli("audience", "--lookalike", FORMULA, "--size", huge, "--out", str(tmp_path / "a.csv"), "--db", str(db))
    assert out.returncode == 0, out.stderr


def test_audience_into_a_folder_or_onto_a_full_disk_is_one_line(hostile_db, tmp_path):
    db, _, _ = hostile_db
    (tmp_path / "x.csv").mkdir()
    for force in ([], ["--force"]):
        out = run_cli("audience", "--lookalike", FORMULA, "--out", str(tmp_path / "x.csv"), "--db", str(db), *force)
        assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
        assert "is a directory" in out.stderr
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        (disk / "filler").write_bytes(b"\0" * 60_000)
        out = run_cli("audience", "--lookalike", FORMULA, "--out", str(disk / "a.csv"), "--db", str(db))
        assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
        assert "cannot write" in out.stderr and "Traceback" not in out.stderr
        assert sorted(path.name for path in disk.iterdir()) == ["filler"]  # no half-written file left
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)
