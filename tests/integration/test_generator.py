"""The data generator: deterministic, in the raw contract, and realistic where it matters."""

from __future__ import annotations

import hashlib

import duckdb
import pytest
from learnmart.datagen import GeneratorConfig, generate
from learnmart.datagen.generator import MALFORMED_KINDS

from tests.conftest import run_cli


def _digest(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_byte_identical_files(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, seed in ((a, 7), (b, 7), (c, 8)):
        result = run_cli("generate", "--out", str(out), "--users", "2000", "--seed", str(seed))
        assert result.returncode == 0, result.stderr
    assert _digest(a) == _digest(b)
    assert _digest(a)["events.parquet"] != _digest(c)["events.parquet"]


def test_chunking_does_not_change_the_catalog_and_is_seeded(tmp_path):
    small = GeneratorConfig(users=900, courses=60, seed=3, chunk_users=300)
    counts = generate(tmp_path / "x", small)
    generate(tmp_path / "y", small)
    assert _digest(tmp_path / "x") == _digest(tmp_path / "y")
    # three chunks land in one readable file each, nothing lost or overwritten
    con = duckdb.connect()
    for name, expected in (("users", 900), ("events", counts["events"])):
        assert con.execute(f"select count(*) from '{tmp_path}/x/{name}.parquet'").fetchone()[0] == expected
    users_in_sends = con.execute(
        f"select count(distinct user_id), min(user_id) < 'u0000300', max(user_id) > 'u0000600' "
        f"from '{tmp_path}/x/campaign_sends.parquet'"
    ).fetchone()
    assert users_in_sends[0] > 0 and users_in_sends[1] and users_in_sends[2]


@pytest.fixture(scope="module")
def stats(tmp_path_factory):
    out = tmp_path_factory.mktemp("gen")
    generate(out, GeneratorConfig(users=3000, courses=150, seed=11))
    con = duckdb.connect()
    con.execute(f"create view events as select * from read_parquet('{out}/events.parquet')")
    con.execute(f"create view courses as select * from read_parquet('{out}/courses.parquet')")
    con.execute(f"create view users as select * from read_parquet('{out}/users.parquet')")
    con.execute(f"create view truth as select * from read_parquet('{out}/truth/user_interests.parquet')")
    return con, out


def test_raw_files_follow_the_contract_and_hide_the_truth(stats):
    con, out = stats
    cols = [r[0] for r in con.execute("describe events").fetchall()]
    assert cols == [
        "event_id",
        "user_id",
        "course_id",
        "event_type",
        "event_ts",
        "amount",
        "currency",
        "rating",
        "channel",
        "duration_seconds",
        "progress",
    ]
    assert {r[0] for r in con.execute("describe users").fetchall()} >= {
        "user_id",
        "marketing_consent",
        "age_band",
        "region",
    }
    for name in ("events", "courses", "users"):
        names = {r[0] for r in con.execute(f"describe {name}").fetchall()}
        assert not names & {"interest", "quality", "popularity"}
    assert (out / "truth" / "user_interests.parquet").exists()


def test_popularity_is_long_tailed(stats):
    con, _ = stats
    top_share = con.execute(
        """
        with c as (select course_id, count(*) n from events where event_type = 'view' group by 1),
        r as (select n, row_number() over (order by n desc) rk, count(*) over () total from c)
        select sum(n) filter (where rk <= total / 10) / sum(n) from r
        """
    ).fetchall()[0][0]
    assert top_share > 0.3  # top 10% of courses draw far more than 10% of views


def test_funnel_rates_are_plausible(stats):
    con, _ = stats
    views, trials, course_purchases, completes, refunds = con.execute(
        """
        select
            count(*) filter (where event_type = 'view'),
            count(*) filter (where event_type = 'trial'),
            count(*) filter (where event_type = 'purchase' and course_id is not null),
            count(*) filter (where event_type = 'complete'),
            count(*) filter (where event_type = 'refund')
        from events where event_id like 'e%'
        """
    ).fetchone()
    assert 0.1 < trials / views < 0.4
    assert 0.02 < course_purchases / views < 0.2
    assert 0.2 < completes / course_purchases < 0.8
    assert 0.01 < refunds / course_purchases < 0.15


def test_interests_drive_purchases(stats):
    con, _ = stats
    # share of course purchases in the user's top latent category vs. the category's base rate
    in_top, base = con.execute(
        """
        with top as (
            select user_id, arg_max(category, interest) as category from truth group by 1
        ),
        bought as (
            select e.user_id, c.category
            from events e join courses c using (course_id)
            where e.event_type = 'purchase' and e.event_id like 'e%'
        )
        select
            avg((b.category = t.category)::int),
            1.0 / 8
        from bought b join top t using (user_id)
        """
    ).fetchone()
    assert in_top > 3 * base


def test_memberships_checkins_and_ratings_exist(stats):
    con, _ = stats
    memberships, checkins, avg_rating_low_q = con.execute(
        """
        select
            count(*) filter (where event_type = 'purchase' and course_id is null),
            count(*) filter (where event_type = 'checkin'),
            avg(rating) filter (where event_type = 'rating')
        from events where event_id like 'e%'
        """
    ).fetchone()
    assert memberships > 0 and checkins > 0
    assert 1 <= avg_rating_low_q <= 5


def test_malformed_rows_cover_every_kind_and_can_be_switched_off(stats, tmp_path):
    con, _ = stats
    bad = con.execute("select count(*) from events where event_id like 'x%'").fetchall()[0][0]
    dup = con.execute("select count(*) - count(distinct event_id) from events").fetchall()[0][0]
    assert bad >= len(MALFORMED_KINDS) - 1 and dup > 0
    generate(tmp_path, GeneratorConfig(users=300, courses=30, seed=1, malformed_share=0.0))
    clean = duckdb.sql(f"select count(*) - count(distinct event_id) from '{tmp_path}/events.parquet'").fetchall()[0][0]
    assert clean == 0


def test_csv_output(tmp_path):
    generate(tmp_path, GeneratorConfig(users=200, courses=20, seed=1, format="csv"))
    assert (tmp_path / "events.csv").exists() and (tmp_path / "courses.csv").exists()
    n = duckdb.sql(f"select count(*) from read_csv('{tmp_path}/events.csv')").fetchall()[0][0]
    assert n > 1000


def test_personas_drive_behaviour_and_are_written_as_truth(stats):
    """Each planted persona differs where it is meant to (learning time, completion, hours)."""
    con, out = stats
    by_persona = dict(
        (row[0], row[1:])
        for row in con.execute(
            f"""
            with personas as (select * from read_csv('{out}/truth/personas.csv')),
            e as (select * from events where event_id like 'e%')
            select
                persona,
                count(distinct user_id),
                sum(duration_seconds) / 60 / count(distinct user_id),
                count(*) filter (where event_type = 'complete')
                    / count(*) filter (where event_type = 'purchase' and course_id is not null),
                avg((hour(cast(event_ts as timestamptz) at time zone 'UTC') between 18 and 23)::int),
                max(progress)
            from personas join e using (user_id)
            group by persona
            """
        ).fetchall()
    )
    assert set(by_persona) == {"binge_learner", "evening_listener", "bargain_hunter", "completionist", "lapsed"}
    minutes = {p: v[1] for p, v in by_persona.items()}
    assert minutes["binge_learner"] > 3 * minutes["evening_listener"] > 3 * minutes["lapsed"]
    assert by_persona["completionist"][2] > 2 * by_persona["bargain_hunter"][2]
    assert by_persona["evening_listener"][3] > by_persona["completionist"][3] + 0.2
    assert all(v[4] == 1.0 for v in by_persona.values())  # a completion reaches progress 1
    users = con.execute(f"select count(*), count(distinct user_id) from read_csv('{out}/truth/personas.csv')")
    assert users.fetchone() == (3000, 3000)
