"""The raw contract: every bad row is quarantined with its reason and nothing is lost."""

from __future__ import annotations

import ast
import datetime as dt
import re
import textwrap

import duckdb
import pytest

from learnmart.warehouse.engine import run_build
from tests.conftest import REPO

EVENTS = """\
event_id,user_id,course_id,event_type,event_ts,amount,currency,rating,channel,duration_seconds,progress
ok_view,007,c1,view,2026-01-01T10:00:00Z,,,,APP
ok_buy,007,c1,purchase,2026-01-02T10:00:00+08:00,99.9,cny,,app
ok_member,u2,,purchase,2026-01-03 09:00:00,198,,,web
ok_checkin,u2,,checkin,2026-01-03 21:00:00,,,,
bad_type,u1,c1,wishlist,2026-01-01,,,,
bad_user,,c1,view,2026-01-01,,,,
bad_user2,   ,c1,view,2026-01-01,,,,
bad_ts,u1,c1,view,31/02/2026 25:61,,,,
future,u1,c1,view,2099-01-01T00:00:00Z,,,,
no_course,u1,,view,2026-01-01,,,,
unknown_course,u1,c999,view,2026-01-01,,,,
zero_amount,u1,c1,purchase,2026-01-01,0,CNY,,
neg_refund,u1,c1,refund,2026-01-01,-5,CNY,,
no_amount,u1,c1,purchase,2026-01-01,,CNY,,
bad_amount,u1,c1,purchase,2026-01-01,12abc,CNY,,
bad_currency,u1,c1,purchase,2026-01-01,10,RMB1,,
rating_hi,u1,c1,rating,2026-01-01,,,6,
rating_frac,u1,c1,rating,2026-01-01,,,3.5,
ok_view,007,c1,view,2026-01-01T11:00:00Z,,,,app
rating_nan,u1,c1,rating,2026-01-01,,,NaN,
rating_neg_inf,u1,c1,rating,2026-01-01,,,-inf,
rating_huge,u1,c1,rating,2026-01-01,,,3000000000,
ts_infinity,u1,c1,view,infinity,,,,
ts_neg_infinity,u1,c1,purchase,-infinity,10,,,
ts_epoch,u1,c1,view,epoch,,,,
ts_year_1,u1,c1,view,0001-01-01,,,,
ts_year_9999,u1,c1,view,9999-12-31T23:59:59Z,,,,
ts_offset,u1,c1,view,2026-01-02T10:00:00+25:00,,,,
ts_zone_name,u1,c1,view,2026-01-02 10:00:00 Asia/Shanghai,,,,
amount_underscore,u1,c1,purchase,2026-01-01,1_000,,,
amount_nan,u1,c1,purchase,2026-01-01,NaN,,,
amount_inf,u1,c1,refund,2026-01-01,inf,,,
nul_user,u\x001,c1,view,2026-01-01,,,,
esc_course,u1,c1\x1b[2J,view,2026-01-01,,,,
ok_offset,u2,c1,view,2026-01-02T10:00:00+0800,,,,
ok_learn,007,c1,view,2026-01-01T12:00:00Z,,,,,86400,1
dur_nan,u1,c1,view,2026-01-01,,,,,NaN,
dur_text,u1,c1,view,2026-01-01,,,,,12min,
dur_neg,u1,c1,view,2026-01-01,,,,,-5,
dur_huge,u1,c1,view,2026-01-01,,,,,86401,0.5
prog_hi,u1,c1,view,2026-01-01,,,,,60,1.5
prog_pct,u1,c1,view,2026-01-01,,,,,,50
prog_text,u1,c1,view,2026-01-01,,,,,,half
"""
EXPECTED = {
    "bad_type": "unknown_event_type",
    "bad_user": "missing_user",
    "bad_user2": "missing_user",
    "bad_ts": "unparseable_timestamp",
    "future": "future_timestamp",
    "no_course": "missing_course",
    "unknown_course": "unknown_course",
    "zero_amount": "non_positive_amount",
    "neg_refund": "non_positive_amount",
    "no_amount": "missing_amount",
    "bad_amount": "invalid_amount",
    "bad_currency": "invalid_currency",
    "rating_hi": "rating_out_of_range",
    "rating_frac": "rating_out_of_range",
    # issue 25: non-finite and absurd values are rejected with a reason, never a failed cast
    "rating_nan": "rating_out_of_range",
    "rating_neg_inf": "rating_out_of_range",
    "rating_huge": "rating_out_of_range",
    "ts_infinity": "unparseable_timestamp",
    "ts_neg_infinity": "unparseable_timestamp",
    "ts_epoch": "unparseable_timestamp",
    "ts_year_1": "unparseable_timestamp",
    "ts_year_9999": "unparseable_timestamp",
    "ts_offset": "unparseable_timestamp",
    "ts_zone_name": "unparseable_timestamp",
    "amount_underscore": "invalid_amount",
    "amount_nan": "invalid_amount",
    "amount_inf": "invalid_amount",
    "nul_user": "invalid_id",
    "esc_course": "invalid_id",
    # issue 27: learning time and progress
    "dur_nan": "invalid_duration",
    "dur_text": "invalid_duration",
    "dur_neg": "duration_out_of_range",
    "dur_huge": "duration_out_of_range",
    "prog_hi": "progress_out_of_range",
    "prog_pct": "progress_out_of_range",
    "prog_text": "progress_out_of_range",
}
COURSES = """\
course_id,title,category,tags,format,price,published_at
c1,SQL for analysts,data,sql|analytics,video,99.9,2025-06-01T08:00:00+08:00
c2,Python basics,programming,python,video,-1
c1,Duplicate,data,,video,10
c3,Underscored,data,,video,1_000
c4,Infinite,data,,video,10,infinity
c5\x00,Nul,data,,video,1
"""
USERS = """\
user_id,signup_ts,channel,marketing_consent,email,phone,age_band,gender,region,occupation,education
007,2025-12-01,ads,yes,Someone@Example.com,138 0000 0001
u2,2025-12-02,organic,,,
u2,2025-12-03,organic,true,,
u3,2025-12-04,organic,maybe,,
u4,epoch,organic,yes,,
u5,-infinity,organic,yes,,
u\x00,2025-12-04,organic,yes,,
u6,2025-12-05,organic,yes,,,37
u7,2025-12-05,organic,yes,,,1989-04-02
u8,2025-12-05,organic,yes,,,25-34,F,Tier1,Student,Bachelor
"""
CAMPAIGN_SENDS = """\
user_id,campaign,group,sent_at
007,welcome,treatment,2026-01-01
u2,welcome,control,-infinity
u2,welcome,control,infinity
"""


@pytest.fixture(scope="module")
def bad_db(tmp_path_factory):
    data = tmp_path_factory.mktemp("bad_data")
    (data / "events.csv").write_text(EVENTS)
    (data / "courses.csv").write_text(COURSES)
    (data / "users.csv").write_text(USERS)
    (data / "campaign_sends.csv").write_text(CAMPAIGN_SENDS)
    db = tmp_path_factory.mktemp("bad_db") / "w.duckdb"
    run_build(data, db, quiet=True)
    return duckdb.connect(str(db), read_only=True)


def test_every_bad_row_is_rejected_with_its_reason(bad_db):
    got = dict(
        bad_db.execute("select event_id, reject_reason from rejected_events where event_id != 'ok_view'").fetchall()
    )
    assert got == EXPECTED
    dup = bad_db.execute("select reject_reason, event_ts from rejected_events where event_id = 'ok_view'").fetchall()
    assert dup == [("duplicate_event_id", "2026-01-01T11:00:00Z")]


def test_accepted_plus_rejected_equals_read(bad_db):
    rows = bad_db.execute(
        "select entity, rows_read, rows_accepted, rows_rejected from build_summary order by 1"
    ).fetchall()
    assert rows == [
        ("campaign_sends", 3, 1, 2),
        ("courses", 6, 1, 5),
        ("events", 43, 6, 37),
        ("suppressions", 0, 0, 0),
        ("users", 10, 3, 7),
    ]
    # the unknown_course row passed the file's own rules (staged) and is rejected after staging
    assert bad_db.execute("select count(*) from staging.stg_raw__events").fetchone()[0] == 7
    assert bad_db.execute("select count(*) from intermediate.int_events_accepted").fetchone()[0] == 6


def test_valid_rows_are_typed_in_utc_and_ids_keep_leading_zeros(bad_db):
    rows = bad_db.execute(
        "select event_id, user_id, event_type, event_ts, amount, currency, channel "
        "from staging.stg_raw__events order by event_ts"
    ).fetchall()
    by_id = {r[0]: r for r in rows}
    assert by_id["ok_view"][1] == "007"
    assert by_id["ok_view"][6] == "app"
    assert by_id["ok_buy"][3] == dt.datetime(2026, 1, 2, 2, 0)  # +08:00 converted to UTC
    assert float(by_id["ok_buy"][4]) == pytest.approx(99.9) and by_id["ok_buy"][5] == "CNY"
    assert by_id["ok_member"][5] == "CNY"  # default currency
    assert by_id["ok_offset"][3] == dt.datetime(2026, 1, 2, 2, 0)  # +0800, without a colon


def test_courses_and_users_are_validated_too(bad_db):
    assert dict(bad_db.execute("select course_id, reject_reason from rejected_courses").fetchall()) == {
        "c2": "negative_price",
        "c1": "duplicate_course_id",
        "c3": "invalid_price",
        "c4": "unparseable_timestamp",
        "c5\x00": "invalid_id",
    }
    assert bad_db.execute("select user_id, reject_reason from rejected_users order by source_row").fetchall() == [
        ("u2", "duplicate_user_id"),
        ("u3", "invalid_marketing_consent"),
        ("u4", "unparseable_timestamp"),
        ("u5", "unparseable_timestamp"),
        ("u\x00", "invalid_id"),
        ("u6", "invalid_age_band"),
        ("u7", "invalid_age_band"),
    ]
    sends = bad_db.execute("select sent_at, reject_reason from rejected_campaign_sends order by 1").fetchall()
    assert sends == [("-infinity", "unparseable_timestamp"), ("infinity", "unparseable_timestamp")]
    consent = dict(bad_db.execute("select user_id, has_marketing_consent from staging.stg_raw__users").fetchall())
    assert consent == {"007": True, "u2": False, "u8": True}  # missing consent is no consent
    demographics = bad_db.execute(
        "select age_band, gender, region, occupation, education from staging.stg_raw__users where user_id = 'u8'"
    ).fetchone()
    assert demographics == ("25-34", "f", "tier1", "student", "bachelor")


def test_learning_time_and_progress_are_typed(bad_db):
    assert bad_db.execute(
        "select duration_seconds, progress from staging.stg_raw__events where event_id = 'ok_learn'"
    ).fetchone() == (86400.0, 1.0)
    rejected = bad_db.execute("select duration_seconds, progress from rejected_events where event_id = 'prog_pct'")
    assert rejected.fetchone() == (None, "50")  # the raw text, as read


def test_a_file_with_a_birthdate_or_address_column_is_refused(tmp_path):
    from learnmart.warehouse import BuildEnvironmentError

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "events.csv").write_text("user_id,event_type,event_ts\nu1,view,2026-01-01\n")
    (tmp_path / "data" / "users.csv").write_text("user_id,Date_Of_Birth\nu1,1989-04-02\n")
    with pytest.raises(BuildEnvironmentError, match="users.csv.*'Date_Of_Birth'.*data minimization"):
        run_build(tmp_path / "data", tmp_path / "w.duckdb", quiet=True)
    assert not (tmp_path / "w.duckdb").exists()


def test_pii_is_hashed_in_staging_and_absent_beyond(bad_db):
    cols = bad_db.execute(
        "select table_schema, table_name, column_name from information_schema.columns "
        "where lower(column_name) in ('email', 'phone')"
    ).fetchall()
    assert cols == []
    everything = bad_db.execute(
        """
        select count(*) from (
            select table_schema, table_name from information_schema.tables
        ) t
        """
    ).fetchone()[0]
    assert everything > 5
    # no table anywhere holds the clear email or phone
    for schema, table in bad_db.execute("select table_schema, table_name from information_schema.tables").fetchall():
        hits = bad_db.execute(
            f'select count(*) from "{schema}"."{table}" t '
            "where lower(cast(columns(*) as varchar)) like '%example.com%' "
            "or cast(columns(*) as varchar) like '%138 0000 0001%'"
        ).fetchone()[0]
        assert hits == 0, (schema, table)
    email_hash = bad_db.execute("select email_hash from staging.stg_raw__users where user_id = '007'").fetchone()[0]
    assert len(email_hash) == 64


def test_a_missing_required_column_is_one_clear_error(tmp_path):
    from learnmart.warehouse import BuildEnvironmentError

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "events.csv").write_text("user_id,event_type\nu1,view\n")
    with pytest.raises(BuildEnvironmentError, match="events.csv.*event_ts"):
        run_build(tmp_path / "data", tmp_path / "w.duckdb", quiet=True)
    assert not (tmp_path / "w.duckdb").exists()


def test_parquet_and_csv_in_one_folder_optional_columns_and_source_rows(tmp_path):
    """Rows are numbered across the whole read: the parquet files in name order, then the CSV."""
    folder = tmp_path / "data" / "events"
    folder.mkdir(parents=True)
    for i, rows in enumerate((3, 2)):
        duckdb.sql(
            textwrap.dedent(
                f"""
                copy (
                    select 'u{i}-' || r as user_id, 'purchase' as event_type,
                           timestamp '2026-01-0{i + 1} 10:00:00' as event_ts, 10.5 + {i} as amount
                    from range({rows}) as t(r) order by r
                ) to '{folder}/part-{i}.parquet' (format parquet)
                """
            )
        )
    (folder / "part-2.csv").write_text(
        "user_id,event_type,event_ts,amount\nu2-0,purchase,2026-01-03 10:00:00,5\nu2-1,bogus,2026-01-03,1\n"
    )
    db = tmp_path / "w.duckdb"
    run_build(tmp_path / "data", db, quiet=True)
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("select count(*), sum(amount) from staging.stg_raw__events").fetchone() == (6, 59.5)
    numbered = con.execute(
        "select user_id, _source_row, parse_filename(_source_file) from staging.base_raw__events order by _source_row"
    ).fetchall()
    assert numbered == [
        ("u0-0", 1, "part-0.parquet"),
        ("u0-1", 2, "part-0.parquet"),
        ("u0-2", 3, "part-0.parquet"),
        ("u1-0", 4, "part-1.parquet"),
        ("u1-1", 5, "part-1.parquet"),
        ("u2-0", 6, "part-2.csv"),
        ("u2-1", 7, "part-2.csv"),
    ]
    assert con.execute("select user_id, source_row, reject_reason from rejected_events").fetchall() == [
        ("u2-1", 7, "unknown_event_type")
    ]


def _documented_contract() -> dict[str, dict[str, list[str]]]:
    """Per entity in docs/raw_contract.md: its columns, the required ones, its reject reasons in order."""
    sections = re.split(r"^## `(\w+)`.*$", (REPO / "docs" / "raw_contract.md").read_text(), flags=re.M)
    documented = {}
    for entity, body in zip(sections[1::2], sections[2::2], strict=True):
        rows = re.findall(r"^\| `(\w+)` \| ([^|]*?) \|", body, flags=re.M)
        documented[entity] = {
            "columns": [name for name, cell in rows if cell in ("yes", "no")],
            "required": [name for name, cell in rows if cell == "yes"],
            "reasons": [name for name, cell in rows if cell not in ("yes", "no")],
        }
    return documented


def test_the_documented_raw_contract_is_the_one_the_models_enforce():
    macro = (REPO / "dbt_project" / "macros" / "raw_relation.sql").read_text()
    enforced = ast.literal_eval(re.search(r"return\((\{.*?\})\) \}\}", macro, flags=re.S).group(1))
    documented = _documented_contract()
    assert list(documented) == list(enforced)
    for entity, contract in enforced.items():
        base = REPO / "dbt_project" / "models" / "staging" / "raw" / "base" / f"base_raw__{entity}.sql"
        reasons = list(dict.fromkeys(re.findall(r"then '(\w+)'", base.read_text())))
        # then the rules about other entities, judged after staging (int_<entity>_judged)
        for later in (REPO / "dbt_project" / "models" / "intermediate").rglob(f"int_{entity}_judged.sql"):
            reasons += re.findall(r"then '(\w+)'", later.read_text())
        assert documented[entity] == {**contract, "reasons": reasons}, entity
