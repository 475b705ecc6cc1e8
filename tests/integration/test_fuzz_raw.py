"""Property-based fuzzing of the raw contract: every outcome is accounted rows or one clear line.

For arbitrary events files - wrong or missing columns, wrong types, odd unicode, quotes
and separators in ids, huge, non-finite and out-of-range numbers, special timestamps
(infinity, epoch, year 0001, offsets past 14 hours), duplicate ids, empty or header-only
files, broken encodings, glob characters in the folder's and the file's names, a FIFO
where a file belongs - a build either accounts for every row (accepted + rejected = read)
from exactly the files written, or exits 2 with one line naming the file. Never a
traceback, never a hang, never a silent drop. Examples per run: $LEARNMART_FUZZ_EXAMPLES (2;
`make test-all` runs 50), beside the explicit ones, one per kind of file.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from tests.conftest import run_cli

COLUMNS = ["event_id", "user_id", "course_id", "event_type", "event_ts", "amount", "currency", "rating", "channel"]
SELECT = "+build_summary rejected_events rejected_courses rejected_users rejected_campaign_sends rejected_suppressions"

weird_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=0, max_size=12
)
cell = st.one_of(
    weird_text,
    st.sampled_from(["view", "purchase", "refund", "rating", "checkin", "VIEW ", "wishlist", ""]),
    st.sampled_from(
        [
            "2026-01-01",
            "2026-01-01T10:00:00+08:00",
            "1969-12-31T23:59:59Z",
            "0001-01-01",
            "9999-12-31T23:59:59Z",
            "2099-01-01",
            "not a time",
            "2026-02-30",
            "infinity",
            "-infinity",
            "epoch",
            "2026-01-02T10:00:00+25:00",
            "2026-01-02 10:00:00 Asia/Shanghai",
        ]
    ),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["NaN", "-inf", "Infinity", "3000000000", "1_000", "1e308", "-0", "0x10", "5.0"]),
    st.sampled_from(["u1", "u'1", 'u"1', "u;1", "u,1", "用户1", "u\n1", "c1", "c00001", "e1"]),
)


@st.composite
def events_file(draw):
    kind = draw(st.sampled_from(["csv", "csv", "csv", "empty", "header_only", "bad_encoding", "parquet", "fifo"]))
    columns = draw(st.lists(st.sampled_from([*COLUMNS, "extra"]), min_size=1, max_size=10, unique=True))
    rows = draw(st.lists(st.lists(cell, min_size=len(columns), max_size=len(columns)), max_size=12))
    if draw(st.booleans()) and rows:  # duplicate a row (and its id)
        rows.append(list(rows[0]))
    return kind, columns, rows


@pytest.fixture(scope="module")
def base_db(tmp_path_factory):
    data = tmp_path_factory.mktemp("fuzz_base_data")
    (data / "events.csv").write_text("user_id,event_type,event_ts\nu1,checkin,2026-01-01\n")
    db = tmp_path_factory.mktemp("fuzz_base") / "base.duckdb"
    result = run_cli("build", "--data", str(data), "--db", str(db), "-q")
    assert result.returncode == 0, result.stderr
    return db


def _write(folder: Path, kind: str, columns: list[str], rows: list[list[str]]) -> int | None:
    """Write the events file, named with glob characters (events/day[1]*?.csv), beside a decoy
    events/day1.csv that a glob would match instead; return the number of data rows a reader
    should see in the first (None: unknowable)."""
    (folder / "events").mkdir()
    (folder / "events" / "day1.csv").write_text("user_id,event_type,event_ts\ndecoy,checkin,2026-01-01\n")
    path = folder / "events" / ("day[1]*?.parquet" if kind == "parquet" else "day[1]*?.csv")
    if kind == "fifo":
        os.mkfifo(path)
        return None
    if kind == "empty":
        path.write_bytes(b"")
        return 0
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    if kind != "header_only":
        writer.writerows(rows)
    if kind == "bad_encoding":
        path.write_bytes(buffer.getvalue().encode("utf-8") + b"u2,\xff\xfe\xfa,view\n")
        return None
    if kind == "parquet":
        csv_path = folder / "tmp.csv"
        csv_path.write_text(buffer.getvalue())
        target = str(path).replace("'", "''")  # COPY ... TO takes its path as it is: no glob
        try:
            duckdb.sql(
                f"copy (select * from read_csv('{csv_path}', all_varchar=true, header=true)) "
                f"to '{target}' (format parquet)"
            )
        except duckdb.Error:
            csv_path.rename(path.with_suffix(".csv"))
            return None
        csv_path.unlink()
        return len(rows)
    path.write_text(buffer.getvalue())
    return 0 if kind == "header_only" else None


@settings(
    max_examples=int(os.environ.get("LEARNMART_FUZZ_EXAMPLES", "2")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # each example is a build: no slow shrinking
)
@given(sample=events_file())
# every file kind runs on every CI run, beside the generated examples
@example(sample=("empty", ["user_id"], []))
@example(sample=("header_only", ["user_id", "event_type", "event_ts"], []))
@example(sample=("bad_encoding", ["user_id", "event_type", "event_ts"], [["u1", "view", "2026-01-01"]]))
@example(
    sample=("parquet", COLUMNS, [["e1", "u'1;", "c1", "purchase", "1969-12-31T23:59:59Z", "1e30", "CNY", "", "app"]])
)
@example(sample=("csv", ["user_id", "event_ts"], [["u1", "2026-01-01"]]))  # a required column missing
@example(sample=("fifo", ["user_id"], []))
@example(
    sample=(
        "csv",
        ["user_id", "event_type", "event_ts", "amount", "rating"],
        [
            ["u1", "rating", "2026-01-01", "", "NaN"],
            ["u1", "rating", "2026-01-01", "", "-inf"],
            ["u1", "rating", "2026-01-01", "", "3000000000"],
            ["u1", "purchase", "-infinity", "10", ""],
            ["u1", "purchase", "2026-01-01", "1_000", ""],
            ["u1", "checkin", "epoch", "", ""],
            ["u1", "checkin", "0001-01-01", "", ""],
            ["u1", "checkin", "2026-01-02T10:00:00+25:00", "", ""],
        ],
    )
)
def test_every_raw_file_is_accounted_for_or_refused_clearly(sample, base_db, tmp_path_factory):
    kind, columns, rows = sample
    root = tmp_path_factory.mktemp("fuzz_data")
    data = root / "d[1]"  # and a sibling the glob d[1] would read instead
    data.mkdir()
    (root / "d1" / "events").mkdir(parents=True)
    (root / "d1" / "events" / "day1.csv").write_text("user_id,event_type,event_ts\nwrong_folder,checkin,2026-01-01\n")
    expected_rows = _write(data, kind, columns, rows)
    db = root / "w.duckdb"
    shutil.copyfile(base_db, db)
    result = run_cli("build", "--data", str(data), "--db", str(db), "-q", "--select", SELECT, timeout=300)
    assert "Traceback" not in result.stderr
    if result.returncode == 2:
        assert result.stderr.count("\n") == 1, result.stderr
        assert "events" in result.stderr
        # a value is a rejected row, never a failed cast (NaN, inf and 3000000000 as a rating were)
        assert "Conversion Error" not in result.stderr and "Could not convert" not in result.stderr
        if kind == "fifo":
            assert "not a regular file" in result.stderr
        return
    assert kind != "fifo", result.stderr
    assert result.returncode == 0, result.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        read, accepted, rejected = con.execute(
            "select rows_read, rows_accepted, rows_rejected from build_summary where entity = 'events'"
        ).fetchone()
        files = dict(con.execute("select _source_file, count(*) from staging.base_raw__events group by 1").fetchall())
        # a partial build: no later build may find this file up to date
        assert con.execute("select inputs_fingerprint from intermediate.int_build_context_resolved").fetchone() == ("",)
    assert accepted + rejected == read
    # exactly the files written, each read once: the decoy's one row, and the rest from day[1]*?.*
    assert files.pop(str(data / "events" / "day1.csv")) == 1
    assert set(files) <= {str(data / "events" / name) for name in ("day[1]*?.csv", "day[1]*?.parquet")}
    if expected_rows is not None:
        assert read == expected_rows + 1
