"""Campaign audiences, exports and measurement: consent, privacy, stable groups, honest uplift."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import stat
from pathlib import Path

import duckdb
import pytest
from learnmart.datagen import GeneratorConfig, generate

from tests.conftest import run_cli

SALT = {"LEARNMART_SALT": "test-salt-0451"}


@pytest.fixture(scope="module")
def campaign_data(tmp_path_factory):
    out = tmp_path_factory.mktemp("campaign_data")
    generate(
        out,
        GeneratorConfig(
            users=6000, courses=120, seed=3, campaigns=(("big_coupon", 0.3), ("placebo", 0.0)), suppression_share=0.03
        ),
    )
    return out


@pytest.fixture(scope="module")
def campaign_db(campaign_data, tmp_path_factory):
    db = tmp_path_factory.mktemp("campaign_db") / "w.duckdb"
    result = run_cli("build", "--data", str(campaign_data), "--db", str(db), "-q", env=SALT)
    assert result.returncode == 0, result.stderr
    return db


def _keyed(value: str) -> str:
    """The audience key of a user id: HMAC-SHA256 keyed with the build's salt."""
    return hmac.new(SALT["LEARNMART_SALT"].encode(), value.encode(), hashlib.sha256).hexdigest()


def _people(data):
    raw = duckdb.connect()
    users = raw.execute(
        f"select user_id, coalesce(marketing_consent, false), email, phone from read_parquet('{data}/users.parquet')"
    ).fetchall()
    suppressed = {
        r[0] for r in raw.execute(f"select user_id from read_parquet('{data}/suppressions.parquet')").fetchall()
    }
    return users, suppressed


def test_no_unconsented_or_suppressed_user_in_any_audience_or_export(campaign_db, campaign_data, tmp_path):
    users, suppressed = _people(campaign_data)
    assert suppressed and any(not consent for _, consent, _, _ in users)
    con = duckdb.connect(str(campaign_db), read_only=True)
    keys = {
        r[0]
        for r in con.execute(
            "select user_key from campaign_audiences union select user_key from interest_audiences "
            "union select user_key from course_lookalikes"
        ).fetchall()
    }
    campaigns = [r[0] for r in con.execute("select distinct campaign from campaign_audiences").fetchall()]
    category = con.execute("select category from interest_audiences limit 1").fetchone()[0]
    course = con.execute("select course_id from course_lookalikes limit 1").fetchone()[0]
    con.close()
    hashed = {uid: _keyed(uid) for uid, _, _, _ in users}
    allowed = {hashed[uid] for uid, consent, _, _ in users if consent and uid not in suppressed}
    assert keys and keys <= allowed
    exports = []
    for i, args in enumerate(
        [["--campaign", c] for c in campaigns] + [["--interest", category], ["--lookalike", course]]
    ):
        out = tmp_path / f"a{i}.csv"
        result = run_cli("audience", *args, "--out", str(out), "--db", str(campaign_db))
        assert result.returncode == 0, result.stderr
        exports.append(out.read_text())
    text = "\n".join(exports)
    exported = {line.split(",")[0] for line in text.splitlines() if line and not line.startswith("user_key")}
    assert exported <= allowed
    for uid, _, email, phone in users[:500]:
        assert f"{uid}," not in text and f",{uid}" not in text
        assert not (email and email in text) and not (phone and phone in text)


def test_groups_are_stable_across_rebuilds_and_match_the_control_share(campaign_db, campaign_data, tmp_path):
    again = tmp_path / "again.duckdb"
    assert run_cli("build", "--data", str(campaign_data), "--db", str(again), "-q", env=SALT).returncode == 0
    query = 'select campaign, user_key, "group" from campaign_audiences order by all'
    first = duckdb.connect(str(campaign_db), read_only=True)
    second = duckdb.connect(str(again), read_only=True)
    assert first.execute(query).fetchall() == second.execute(query).fetchall()
    rows = first.execute(
        """
        select a.campaign, p.control_share, count(*), avg(cast(a."group" = 'control' as double))
        from campaign_audiences a join seeds.campaign_playbooks p using (campaign)
        group by all
        """
    ).fetchall()
    assert rows
    for _campaign, share, n, observed in rows:
        tolerance = 4 * (share * (1 - share) / n) ** 0.5 + 0.01
        assert abs(observed - share) <= tolerance


def test_one_non_stackable_campaign_per_user(campaign_db):
    con = duckdb.connect(str(campaign_db), read_only=True)
    worst = con.execute(
        """
        select max(n) from (
            select a.user_key, count(*) as n
            from campaign_audiences a join seeds.campaign_playbooks p using (campaign)
            where not p.stackable group by 1
        )
        """
    ).fetchone()[0]
    assert worst == 1


def test_campaigns_and_audience_orders_come_from_the_marts(campaign_db, tmp_path):
    """`learnmart campaigns` is campaign_summary as it is: every playbook, with its audience's
    group sizes; `audience --size N` exports the mart's ranks 1..N in the mart's order."""
    con = duckdb.connect(str(campaign_db), read_only=True)
    expected = con.execute(
        """
        select p.campaign, p.priority,
               count(a.user_key) filter (where a."group" = 'treatment'),
               count(a.user_key) filter (where a."group" = 'control')
        from seeds.campaign_playbooks as p left join campaign_audiences as a using (campaign)
        group by all order by p.priority, p.campaign
        """
    ).fetchall()
    category, first = con.execute(
        """
        select category, list(user_key order by interest_rank, interest_share desc, user_key)[1:5]
        from interest_audiences group by category order by count(*) desc, category limit 1
        """
    ).fetchone()
    con.close()
    shown = run_cli("campaigns", "--db", str(campaign_db), "--format", "json")
    assert shown.returncode == 0, shown.stderr
    rows = json.loads(shown.stdout)
    assert [(r["campaign"], r["priority"], r["treatment"], r["control"]) for r in rows] == expected
    assert any(r["treatment"] for r in rows)
    out = tmp_path / "top.csv"
    exported = run_cli("audience", "--interest", category, "--size", "5", "--out", str(out), "--db", str(campaign_db))
    assert exported.returncode == 0, exported.stderr
    assert [line.split(",")[0] for line in out.read_text().splitlines()[1:]] == first


def test_campaign_results_recover_the_simulated_lift(campaign_db, campaign_data):
    truth = dict(
        duckdb.sql(
            f"select campaign, true_conversion_uplift from read_parquet('{campaign_data}/truth/campaigns.parquet')"
        ).fetchall()
    )
    con = duckdb.connect(str(campaign_db), read_only=True)
    results = {
        r[0]: r[1:]
        for r in con.execute(
            "select campaign, conversion_uplift, conversion_uplift_ci_low, conversion_uplift_ci_high, window_complete "
            "from campaign_results"
        ).fetchall()
    }
    assert set(results) == {"big_coupon", "placebo"}
    # The reported interval is 95%: one seed in twenty misses by chance. The test allows
    # 3 standard errors (99.7%) so it checks the estimator, not the luck of one seed.
    uplift, low, high, complete = results["big_coupon"]
    se = (high - low) / (2 * 1.96)
    assert complete and abs(uplift - truth["big_coupon"]) <= 3 * se
    assert low > 0  # the real lift is found
    uplift, low, high, complete = results["placebo"]
    se = (high - low) / (2 * 1.96)
    assert truth["placebo"] == 0 and abs(uplift) <= 3 * se  # no lift where there was none


def test_export_refuses_without_a_salt_and_overwrite_without_force(campaign_data, campaign_db, tmp_path):
    unsalted = tmp_path / "unsalted.duckdb"
    assert (
        run_cli(
            "build", "--data", str(campaign_data), "--db", str(unsalted), "-q", env={"LEARNMART_SALT": ""}
        ).returncode
        == 0
    )
    out = tmp_path / "x.csv"
    refused = run_cli("audience", "--campaign", "at_risk_coupon", "--out", str(out), "--db", str(unsalted))
    assert refused.returncode == 2 and "LEARNMART_SALT" in refused.stderr and not out.exists()
    out.write_text("keep me")
    kept = run_cli("audience", "--campaign", "at_risk_coupon", "--out", str(out), "--db", str(campaign_db))
    assert kept.returncode == 2 and out.read_text() == "keep me"
    forced = run_cli("audience", "--campaign", "at_risk_coupon", "--out", str(out), "--db", str(campaign_db), "--force")
    assert forced.returncode == 0 and out.read_text().startswith("user_key,group")
    unknown = run_cli("audience", "--campaign", "nope", "--out", str(tmp_path / "y.csv"), "--db", str(campaign_db))
    assert unknown.returncode == 1


def test_category_demand_gap_index(campaign_db):
    con = duckdb.connect(str(campaign_db), read_only=True)
    rows = con.execute("select rfm_segment, courses, gap_index, engaged_users from category_demand").fetchall()
    assert rows
    segments = {r[0] for r in rows}
    for seg in segments:
        mine = [r for r in rows if r[0] == seg]
        supply = sum(r[1] for r in mine)
        # the supply-share-weighted gap index is the sum of demand shares: exactly 1
        assert sum(r[2] * r[1] / supply for r in mine) == pytest.approx(1.0)


def test_the_salt_is_in_no_artifact_of_a_build_or_its_docs(campaign_db, tmp_path):
    # a failed build's file holds the same views as a published one: no SQL of any holds the salt
    secret = SALT["LEARNMART_SALT"].encode()
    cache = Path(os.environ["LEARNMART_CACHE_DIR"]) / "learnmart"
    caches = list(cache.glob("*.msgpack"))
    assert caches, "the build left no parse cache to check"
    for path in caches:
        assert secret not in path.read_bytes(), path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert secret not in campaign_db.read_bytes()
    with duckdb.connect(str(campaign_db), read_only=True) as con:
        sql = con.execute("select string_agg(sql, ' ') from duckdb_views() where not internal").fetchone()[0]
    assert sql and secret.decode() not in sql
    site = tmp_path / "site"
    docs = run_cli("docs", "--db", str(campaign_db), "--out", str(site), env=SALT)
    assert docs.returncode == 0, docs.stderr
    for path in site.iterdir():
        assert secret not in path.read_bytes(), path


def test_a_campaign_aimed_at_demographics_reaches_only_them_and_at_least_k(campaign_db, campaign_data):
    """student_study_plan (seed campaign_playbooks: occupation=student): every user in its
    audience is a student in the raw users file, keyed from outside, and there are at
    least var k_anonymity (10) of them; the playbook's next action goes to students only."""
    raw = duckdb.connect()
    occupation = dict(
        raw.execute(f"select user_id, occupation from read_parquet('{campaign_data}/users.parquet')").fetchall()
    )
    by_key = {_keyed(uid): job for uid, job in occupation.items()}
    con = duckdb.connect(str(campaign_db), read_only=True)
    keys = [
        r[0]
        for r in con.execute("select user_key from campaign_audiences where campaign = 'student_study_plan'").fetchall()
    ]
    advised = con.execute("select user_id from user_profiles where next_campaign = 'student_study_plan'").fetchall()
    con.close()
    assert len(keys) >= 10
    assert {by_key[k] for k in keys} == {"student"}
    assert {occupation[u] for (u,) in advised} <= {"student"}
