"""The OULAD adapter (datagen/oulad.py): its mapping worked out by hand on a tiny export in
OULAD's layout, then a slice of the real OULAD converted and built (docs/real_data.md).

The real data is read in place from ../shared/data/oulad (never copied into the
repository). Where it is absent the slice tests skip, except in CI (env CI set), where a
missing data set is a failure rather than a silent pass.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import os
import re
import zipfile
from pathlib import Path

import duckdb
import pytest
from learnmart.datagen.oulad import NOMINAL_PRICE, convert, presentation_start

from learnmart.warehouse.engine import run_build

OULAD = Path(__file__).resolve().parents[3] / "shared" / "data" / "oulad"
SLICE_MODULE = "AAA"
SLICE_STUDENTS = 300


def _write_csv(path: Path, header: str, rows: list[str]) -> None:
    path.write_text("\n".join([header, *rows]) + "\n")


@pytest.fixture
def tiny_oulad(tmp_path) -> Path:
    """Two presentations, two students, in OULAD's file layout (clicks zipped, tab-separated, CRLF)."""
    src = tmp_path / "oulad"
    src.mkdir()
    _write_csv(src / "courses.csv", "code_module,code_presentation,module_presentation_length",
               ["AAA,2013J,268", "BBB,2014B,234"])  # fmt: skip
    _write_csv(
        src / "studentInfo.csv",
        "code_module,code_presentation,id_student,gender,region,highest_education,imd_band,age_band,"
        "num_of_prev_attempts,studied_credits,disability,final_result",
        [
            "AAA,2013J,0011,M,Wales,HE Qualification,90-100%,0-35,0,60,N,Pass",
            "BBB,2014B,0011,M,Scotland,HE Qualification,20-30%,35-55,0,60,N,Withdrawn",
            "BBB,2014B,22,F,Ireland,Lower Than A Level,10-20,0-35,1,120,N,Fail",
        ],
    )
    _write_csv(
        src / "studentRegistration.csv",
        "code_module,code_presentation,id_student,date_registration,date_unregistration",
        ["AAA,2013J,0011,-10,", "BBB,2014B,0011,-5,20", "BBB,2014B,22,,-3"],
    )
    clicks = [
        "code_module\tcode_presentation\tid_student\tid_site\tdate\tsum_click",
        "AAA\t2013J\t0011\t1\t-2\t3",
        "AAA\t2013J\t0011\t2\t-2\t4",
        "AAA\t2013J\t0011\t1\t5\t1",
        "BBB\t2014B\t0011\t9\t0\t2",
    ]
    with zipfile.ZipFile(src / "studentVle.zip", "w") as archive:
        archive.writestr("studentVle.txt", "\r\n".join(clicks) + "\r\n")
    return src


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_presentation_codes_give_the_assumed_start_dates():
    assert presentation_start("2013J") == dt.date(2013, 10, 1)
    assert presentation_start("2014B") == dt.date(2014, 2, 1)
    with pytest.raises(ValueError, match="2014X"):
        presentation_start("2014X")


def test_tiny_export_maps_as_worked_out_by_hand(tiny_oulad, tmp_path):
    """AAA-2013J starts 2013-10-01 and lasts 268 days (ends 2014-06-26); BBB-2014B starts
    2014-02-01. Student 0011 registers for AAA on day -10 (2013-09-21), clicks 3 + 4 times on
    day -2 and once on day 5, passes; registers for BBB on day -5 (2014-01-27), clicks on
    day 0, unregisters on day 20 (2014-02-21). Student 22 has no registration date and
    unregistered on day -3: the purchase is put on day -3 too, before its refund."""
    out = tmp_path / "raw"
    counts = convert(tiny_oulad, out)
    assert counts == {"courses": 2, "users": 2, "events": 9, "purchase": 3, "view": 3, "refund": 2, "complete": 1}
    con = duckdb.connect()
    events = _rows(
        con,
        f"select event_id, user_id, course_id, event_type, event_ts, amount, currency, clicks "
        f"from '{out}/events.parquet' order by event_id",
    )
    assert events == [
        ("AAA-2013J:0011:complete", "0011", "AAA-2013J", "complete", "2014-06-26 23:00:00", None, None, None),
        ("AAA-2013J:0011:purchase", "0011", "AAA-2013J", "purchase", "2013-09-21 09:00:00", 100, "GBP", None),
        ("AAA-2013J:0011:view:-2", "0011", "AAA-2013J", "view", "2013-09-29 12:00:00", None, None, 7),
        ("AAA-2013J:0011:view:5", "0011", "AAA-2013J", "view", "2013-10-06 12:00:00", None, None, 1),
        ("BBB-2014B:0011:purchase", "0011", "BBB-2014B", "purchase", "2014-01-27 09:00:00", 100, "GBP", None),
        ("BBB-2014B:0011:refund", "0011", "BBB-2014B", "refund", "2014-02-21 18:00:00", 100, "GBP", None),
        ("BBB-2014B:0011:view:0", "0011", "BBB-2014B", "view", "2014-02-01 12:00:00", None, None, 2),
        ("BBB-2014B:22:purchase", "22", "BBB-2014B", "purchase", "2014-01-29 09:00:00", 100, "GBP", None),
        ("BBB-2014B:22:refund", "22", "BBB-2014B", "refund", "2014-01-29 18:00:00", 100, "GBP", None),
    ]
    courses = _rows(con, f"select * from read_csv('{out}/courses.csv', all_varchar = true) order by 1")
    assert courses == [
        ("AAA-2013J", "Module AAA, 2013 October", "aaa", None, "100", "2013-09-21 00:00:00"),
        ("BBB-2014B", "Module BBB, 2014 February", "bbb", None, "100", "2014-01-27 00:00:00"),
    ]
    # 0011 keeps its leading zeros; demographics come from the latest presentation (BBB-2014B)
    users = _rows(con, f"select * from read_csv('{out}/users.csv', all_varchar = true) order by 1")
    assert users == [
        ("0011", "2013-09-21 09:00:00", None, "M", "35-55", "Scotland", "HE Qualification", "20-30%"),
        ("22", "2014-01-29 09:00:00", None, "F", "0-35", "Ireland", "Lower Than A Level", "10-20%"),
    ]


def test_tiny_export_slices_by_module_and_converts_byte_identically(tiny_oulad, tmp_path):
    counts = convert(tiny_oulad, tmp_path / "a", modules={"AAA"})
    assert counts == {"courses": 1, "users": 1, "events": 4, "purchase": 1, "view": 2, "refund": 0, "complete": 1}
    convert(tiny_oulad, tmp_path / "b", modules={"AAA"})
    for name in ("courses.csv", "users.csv", "events.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


# ---- a slice of the real OULAD, converted and built ----------------------------------


def _require_oulad() -> None:
    if (OULAD / "studentVle.zip").exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"OULAD is not at {OULAD}: CI must have ../shared/data/oulad")
    pytest.skip(f"OULAD is not at {OULAD}")


def _read_oulad_csv(name: str) -> list[dict[str, str]]:
    with open(OULAD / name, newline="") as f:
        return [row for row in csv.DictReader(f) if row["code_module"] == SLICE_MODULE]


def _expected_slice() -> dict:
    """The slice's figures, read straight from OULAD with the csv module (not DuckDB)."""
    registrations = _read_oulad_csv("studentRegistration.csv")
    everyone = {row["id_student"] for row in registrations}
    students = set(sorted(everyone, key=lambda s: (hashlib.md5(s.encode()).hexdigest(), s))[:SLICE_STUDENTS])
    registrations = [row for row in registrations if row["id_student"] in students]
    info = [row for row in _read_oulad_csv("studentInfo.csv") if row["id_student"] in students]
    lengths = {
        row["code_presentation"]: int(row["module_presentation_length"]) for row in _read_oulad_csv("courses.csv")
    }
    view_days = set()
    with zipfile.ZipFile(OULAD / "studentVle.zip") as archive, archive.open("studentVle.txt") as raw:
        for row in csv.DictReader(io.TextIOWrapper(raw, newline=""), delimiter="\t"):
            if row["code_module"] == SLICE_MODULE and row["id_student"] in students:
                view_days.add((row["id_student"], row["code_presentation"], row["date"]))

    def at(presentation: str, day: int, hour: int) -> str:
        start = dt.datetime.combine(presentation_start(presentation), dt.time(hour))
        return (start + dt.timedelta(days=day)).isoformat(sep=" ")

    return {
        "students": students,
        "purchases": {
            (r["id_student"], f"{SLICE_MODULE}-{r['code_presentation']}"): at(
                r["code_presentation"], int(r["date_registration"] or 0), 9
            )
            for r in registrations
        },
        "refunds": sum(1 for r in registrations if r["date_unregistration"]),
        "completes": {
            (r["id_student"], f"{SLICE_MODULE}-{r['code_presentation']}"): at(
                r["code_presentation"], lengths[r["code_presentation"]], 23
            )
            for r in info
            if r["final_result"] in ("Pass", "Distinction")
        },
        "views": len(view_days),
    }


@pytest.fixture(scope="module")
def oulad_slice(tmp_path_factory) -> dict:
    """A few hundred of module AAA's students, converted and built once."""
    _require_oulad()
    work = tmp_path_factory.mktemp("oulad")
    counts = convert(OULAD, work / "data", modules={SLICE_MODULE}, max_students=SLICE_STUDENTS)
    run_build(work / "data", work / "oulad.duckdb", quiet=True)
    con = duckdb.connect()
    con.execute(f"attach '{work}/oulad.duckdb' as built (read_only)")
    con.execute(f"create view raw_events as select * from read_parquet('{work}/data/events.parquet')")
    for name in ("courses", "users"):
        con.execute(f"create view raw_{name} as select * from read_csv('{work}/data/{name}.csv', all_varchar = true)")
    yield {"counts": counts, "con": con, "expected": _expected_slice()}
    con.close()


def _times_by_pair(con: duckdb.DuckDBPyConnection, event_type: str) -> dict[tuple[str, str], str]:
    """(user, course) -> event_ts of one event type in the converted slice."""
    sql = f"select user_id, course_id, event_ts from raw_events where event_type = '{event_type}'"
    return {(user, course): ts for user, course, ts in _rows(con, sql)}


def test_slice_events_are_the_registrations_outcomes_and_click_days(oulad_slice):
    con, expected, counts = oulad_slice["con"], oulad_slice["expected"], oulad_slice["counts"]
    # AAA's registrations all have a date, so each purchase sits at start + date_registration, 09:00
    assert _times_by_pair(con, "purchase") == expected["purchases"]
    assert _times_by_pair(con, "complete") == expected["completes"]
    assert counts["refund"] == expected["refunds"] > 0
    assert counts["view"] == expected["views"] > 0
    assert counts["users"] == len(expected["students"]) == SLICE_STUDENTS
    assert set(con.execute("select user_id from raw_users").fetchnumpy()["user_id"]) == expected["students"]


def test_slice_files_keep_the_contract(oulad_slice):
    con = oulad_slice["con"]
    types = dict(_rows(con, "select column_name, column_type from (describe raw_events)"))
    assert {types[c] for c in ("event_id", "user_id", "course_id", "event_ts")} == {"VARCHAR"}
    assert _rows(con, "select count(*) from raw_events where course_id not in (select course_id from raw_courses)") == [
        (0,)
    ]
    stamps = [ts for (ts,) in _rows(con, "select event_ts from raw_events union all select signup_ts from raw_users")]
    stamps += [ts for (ts,) in _rows(con, "select published_at from raw_courses")]
    assert all(dt.datetime.fromisoformat(ts) for ts in stamps)
    # a course is published before its first purchase
    assert _rows(
        con,
        "select count(*) from raw_events e join raw_courses c using (course_id) where e.event_ts < c.published_at",
    ) == [(0,)]
    ids = [i for (i,) in _rows(con, "select user_id from raw_users union all select user_id from raw_events")]
    assert all(re.fullmatch(r"\d+", i) for i in ids)


def test_slice_builds_with_every_row_accepted(oulad_slice):
    con, counts, expected = oulad_slice["con"], oulad_slice["counts"], oulad_slice["expected"]
    summary = {
        entity: (read, rejected)
        for entity, read, rejected in _rows(con, "select entity, rows_read, rows_rejected from built.build_summary")
    }
    assert summary["events"] == (counts["events"], 0)
    assert summary["users"] == (SLICE_STUDENTS, 0)
    assert summary["courses"] == (counts["courses"], 0)
    features = _rows(
        con,
        "select count(*), count(distinct user_id), sum(views), sum(completions), sum(refunds), sum(monetary) "
        "from built.user_features",
    )[0]
    # every event is at or before the as-of (the latest event): all of them are counted;
    # each unregistration refunds its registration, so monetary is the price x the kept ones
    assert features[:5] == (SLICE_STUDENTS, SLICE_STUDENTS, counts["view"], counts["complete"], counts["refund"])
    assert features[5] == NOMINAL_PRICE * (counts["purchase"] - counts["refund"])
    built_students = {u for (u,) in _rows(con, "select user_id from built.user_features")}
    assert built_students == expected["students"]
