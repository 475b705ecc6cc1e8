"""Behavioural clusters, rule-based tags and `learnmart profile` on the session's demo build."""

from __future__ import annotations

import json

import duckdb
import pytest

from tests.conftest import run_cli, run_dbt


@pytest.fixture(scope="module")
def con(demo_db):
    c = duckdb.connect(str(demo_db), read_only=True)
    yield c
    c.close()


def test_every_user_is_in_one_cluster_and_the_summary_adds_up(con):
    users = con.execute("select count(*) from user_features").fetchone()[0]
    clustered = con.execute("select count(*), count(distinct user_id) from user_clusters").fetchone()
    assert clustered == (users, users)
    sizes = con.execute("select cluster_id, users from cluster_summary order by cluster_id").fetchall()
    assert sum(n for _, n in sizes) == users
    # ids are numbered by size, largest first, so they do not shuffle between rebuilds
    assert [n for _, n in sizes] == sorted((n for _, n in sizes), reverse=True)
    assert [c for c, _ in sizes] == list(range(len(sizes)))
    members = dict(con.execute("select cluster_id, count(*) from user_clusters group by 1").fetchall())
    assert members == dict(sizes)


def test_cluster_summary_describes_each_cluster(con):
    rows = con.execute(
        """
        select cluster_name, share_of_users, share_of_revenue, rfm_segment_mix, distinctive_features, centroid_z
        from cluster_summary
        """
    ).fetchall()
    assert 3 <= len(rows) <= 8  # vars cluster_k_min..cluster_k_max
    assert sum(r[1] for r in rows) == pytest.approx(1.0)
    assert sum(r[2] for r in rows) == pytest.approx(1.0)
    assert len({r[0] for r in rows}) == len(rows)
    for name, _, _, mix, distinctive, centroid in rows:
        assert mix and "%" in mix
        # the name comes from the distinctive features, which are the centroid's largest z-scores
        assert all(abs(f["z"]) >= 0.5 for f in distinctive)
        largest = max(abs(f["z"]) for f in centroid)
        assert not distinctive or abs(distinctive[0]["z"]) == pytest.approx(largest)
        assert name


def test_model_health_judges_the_clusters(con):
    status, value, threshold, message = con.execute(
        "select status, value, threshold, message from model_health where check_name = 'clusters_fit'"
    ).fetchone()
    assert status == "ok", message
    assert value > threshold and value > 0  # silhouette above the shuffled-features baseline
    assert "silhouette" in message


def test_tags_follow_their_rules(con):
    by_tag = dict(con.execute("select tag, count(*) from user_tags group by tag").fetchall())
    assert {"highly active", "audio listener", "night owl"} <= set(by_tag)
    # audio listener: audio_share >= 0.5 (seeds/user_tag_rules.csv), checked by hand
    behaviour = "intermediate.int_user_behaviour_aggregated"
    expected = con.execute(f"select count(*) from {behaviour} where audio_share >= 0.5").fetchone()[0]
    assert by_tag["audio listener"] == expected > 0
    both = con.execute(
        """
        select count(*) from user_features as f
        inner join intermediate.int_user_behaviour_aggregated as b on f.user_key = b.user_key
        where b.active_days >= 20 and f.days_since_last_seen <= 30
        """
    ).fetchone()[0]
    assert by_tag["highly active"] == both > 0


def test_bad_tag_rules_stop_the_build_with_one_line_each(demo_db, tmp_path):
    rules = tmp_path / "rules.csv"
    rules.write_text(
        "tag,description,column_name,op,value\n"
        "ok,fine,active_days,>=,3\n"
        "typo,unknown column,activ_days,>=,3\n"
        "op,bad operator,active_days,=>,3\n"
        "text,not a number,active_days,>=,many\n"
        "inject,no SQL from the seed,top_category,=,x' or 1=1 --\n"
        "order,text has no order,top_category,<,b\n"
    )
    args = json.dumps({"path": str(rules)})
    result = run_dbt(
        "run-operation", "learnmart_check_tag_rules", "--args", args, db=tmp_path / "x.duckdb", work=tmp_path
    )
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert 'line 3 (tag "typo"): unknown column "activ_days"' in out
    assert 'line 4 (tag "op"): bad operator "=>"' in out
    assert 'line 5 (tag "text"): value "many" is not a number' in out
    assert 'line 7 (tag "order"): operator < compares numbers, and top_category is text' in out
    assert "line 2 " not in out and "line 6 " not in out  # a quote in a text value is only text


def test_profile_shows_cluster_tags_and_demographics(demo_db, con):
    user, cluster = con.execute(
        """
        select c.user_id, c.cluster_name from user_clusters as c
        where c.user_id in (select user_id from user_tags)
        order by c.user_id limit 1
        """
    ).fetchone()
    tags = [r[0] for r in con.execute("select tag from user_tags where user_id = ? order by tag", [user]).fetchall()]
    result = run_cli("profile", user, "--db", str(demo_db), "--format", "json")
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)[0]
    assert row["cluster_name"] == cluster and row["tags"] == tags
    assert "age_band" in row and "region" in row
    table = run_cli("profile", user, "--db", str(demo_db))
    assert cluster in table.stdout and tags[0] in table.stdout
