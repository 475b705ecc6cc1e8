"""Recommendation marts, the lookup commands and the offline evaluation."""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys

import duckdb
import pytest

from tests.conftest import REPO, run_cli


@pytest.fixture(scope="module")
def con(demo_db):
    c = duckdb.connect(str(demo_db), read_only=True)
    yield c
    c.close()


def test_every_user_gets_k_recommendations_and_none_already_taken(con):
    k = 10
    short = con.execute(
        """
        with counts as (
            select u.user_id, count(r.course_id) as n
            from intermediate.int_users_keyed u
            left join user_recommendations r using (user_id)
            group by u.user_id
        ),
        history as (
            select distinct user_id from intermediate.int_interactions_weighted where affinity > 0
        ),
        catalog as (select count(*) as courses from intermediate.int_courses_keyed),
        taken as (
            select user_id, count(*) as n from intermediate.int_interactions_weighted where is_taken group by 1
        )
        select count(*) from counts
        join history using (user_id)
        cross join catalog
        left join taken using (user_id)
        where counts.n < least(10, catalog.courses - coalesce(taken.n, 0))
        """
    ).fetchone()[0]
    assert short == 0
    assert con.execute("select max(rank), min(rank) from user_recommendations").fetchone() == (k, 1)
    # nothing the user bought, refunded, completed or rated - checked against staging directly
    taken = con.execute(
        """
        select count(*) from user_recommendations r
        join staging.stg_raw__events e on e.user_id = r.user_id and e.course_id = r.course_id
        where e.event_type in ('purchase', 'refund', 'complete', 'rating')
        """
    ).fetchone()[0]
    assert taken == 0


def test_reasons_point_into_the_users_history(con):
    bad = con.execute(
        """
        select count(*) from user_recommendations r
        left join intermediate.int_interactions_weighted i
            on i.user_id = r.user_id and i.course_id = r.reason_course_id
        where r.source != 'popular' and (i.user_id is null or i.affinity <= 0)
        """
    ).fetchone()[0]
    assert bad == 0
    sources = dict(con.execute("select source, count(*) from user_recommendations group by 1").fetchall())
    assert sources.get("collaborative", 0) > 0 and sources.get("content", 0) > 0


def test_ranks_follow_scores(con):
    inverted = con.execute(
        """
        select count(*) from user_recommendations a
        join user_recommendations b on a.user_id = b.user_id and a.rank + 1 = b.rank
        where a.score < b.score
        """
    ).fetchone()[0]
    assert inverted == 0


def test_course_pairs_match_a_recount_from_interactions(con):
    rows = con.execute(
        """
        with pos as (
            select user_key, course_id from intermediate.int_interactions_weighted where affinity > 0
        ),
        n as (select course_id, count(*) as users from pos group by 1)
        select p.course_id, p.other_course_id, p.co_users, p.jaccard, p.confidence, na.users, nb.users
        from course_pairs p
        join n as na on na.course_id = p.course_id
        join n as nb on nb.course_id = p.other_course_id
        order by p.co_users desc limit 50
        """
    ).fetchall()
    assert rows
    for _, _, co, jac, conf, na, nb in rows:
        assert jac == pytest.approx(co / (na + nb - co))
        assert conf == pytest.approx(co / na)


def test_new_courses_and_cold_start_users(tmp_path):
    """A course nobody engaged with is reached through content; a user with no history gets popular courses."""
    from learnmart.warehouse.engine import run_build

    data = tmp_path / "data"
    data.mkdir()
    (data / "courses.csv").write_text(
        "course_id,title,category,tags,format,price\n"
        "c1,SQL basics,data,sql|analytics,video,99\n"
        "c2,SQL advanced,data,sql|analytics,video,129\n"
        "c3,Brand new SQL,data,sql|analytics,video,99\n"
        "c4,Cooking,health,nutrition,video,99\n"
    )
    rows = ["user_id,course_id,event_type,event_ts,amount"]
    for u in range(1, 7):
        rows.append(f"u{u},c1,purchase,2026-06-0{u}T10:00:00Z,99")
        rows.append(f"u{u},c2,view,2026-06-0{u}T11:00:00Z,")
    rows.append("u7,,checkin,2026-06-07T11:00:00Z,")
    (data / "events.csv").write_text("\n".join(rows) + "\n")
    (data / "users.csv").write_text("user_id,signup_ts\nu8,2026-06-01\n")
    db = tmp_path / "w.duckdb"
    run_build(data, db, quiet=True)
    c = duckdb.connect(str(db), read_only=True)
    assert c.execute("select count(*) from course_similarity where other_course_id = 'c3'").fetchone()[0] > 0
    recs = c.execute(
        "select user_id, course_id, source, reason from user_recommendations order by user_id, rank"
    ).fetchall()
    u1 = [r for r in recs if r[0] == "u1"]
    assert [r[1] for r in u1][:2] == ["c2", "c3"]  # c1 bought; c3 only through content
    assert next(r for r in u1 if r[1] == "c3")[2] == "content"
    for cold in ("u7", "u8"):
        mine = [r for r in recs if r[0] == cold]
        assert mine and all(r[2] == "popular" and r[3].startswith("popular") for r in mine)


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_recommend_in_every_format(demo_db, con, fmt):
    user, expected = con.execute(
        "select user_id, list(course_id order by rank) from user_recommendations group by 1 order by 1 limit 1"
    ).fetchone()
    result = run_cli("recommend", user, "--db", str(demo_db), "--k", "5", "--format", fmt)
    assert result.returncode == 0, result.stderr
    if fmt == "json":
        assert [r["course_id"] for r in json.loads(result.stdout)] == expected[:5]
    elif fmt == "csv":
        lines = result.stdout.strip().splitlines()
        assert lines[0] == "rank,course_id,score,reason" and len(lines) == 6
    else:
        assert expected[0] in result.stdout


def test_recommend_unknown_user_exits_1(demo_db):
    result = run_cli("recommend", "ghost'; drop table user_recommendations; --", "--db", str(demo_db))
    assert result.returncode == 1 and "unknown user" in result.stderr


def test_lookup_path_imports_no_dbt_pandas_or_pyarrow(demo_db, con):
    user = con.execute("select min(user_id) from user_recommendations").fetchone()[0]
    code = (
        "import sys\n"
        f"sys.argv = ['learnmart', 'recommend', {user!r}, '--db', {str(demo_db)!r}, '--format', 'json']\n"
        "from learnmart.cli.main import app\n"
        "try:\n    app()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "heavy = sorted(m for m in ('dbt', 'pandas', 'pyarrow', 'numpy') if m in sys.modules)\n"
        "print('HEAVY=' + ','.join(heavy), file=sys.stderr)\n"
        "print('PYAPI=' + str('duckdb' in sys.modules), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    lines = out.stderr.strip().splitlines()
    assert "HEAVY=" in lines, out.stderr
    # the engine alone (_duckdb), not the duckdb package's Python API, when the engine ships
    # as its own module: the package adds about 80 ms to a cold lookup
    assert "PYAPI=False" in lines or importlib.util.find_spec("_duckdb") is None, out.stderr


def _evaluate_both_splits(demo_data, tmp_path) -> list[dict]:
    first = run_cli("evaluate", "--data", str(demo_data), "--json", str(tmp_path / "a.json"), "--format", "json")
    assert first.returncode == 0, first.stderr
    return json.loads((tmp_path / "a.json").read_text())


def test_evaluate_beats_popularity(demo_data, tmp_path):
    rows = _evaluate_both_splits(demo_data, tmp_path)
    by = {(r["split"], r["ranker"]): r for r in rows}
    assert {s for s, _ in by} == {"temporal", "user_random"}
    for split in ("temporal", "user_random"):
        model, pop, oracle = by[(split, "model")], by[(split, "popularity")], by[(split, "oracle")]
        assert model["ndcg_at_k"] > pop["ndcg_at_k"] * 1.1
        assert oracle["ndcg_at_k"] > pop["ndcg_at_k"]
        for metric in ("precision_at_k", "recall_at_k", "ndcg_at_k", "map_at_k", "hit_rate", "catalog_coverage"):
            assert 0 <= model[metric] <= 1 and not math.isnan(model[metric])
        assert model["users"] == pop["users"] == oracle["users"] > 50


@pytest.mark.slow  # three builds: in `make test-all` (--runslow)
def test_evaluate_is_reproducible(demo_data, tmp_path):
    rows = _evaluate_both_splits(demo_data, tmp_path)
    again = run_cli("evaluate", "--data", str(demo_data), "--split", "user-random", "--format", "json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == [r for r in rows if r["split"] == "user_random"]


def test_text_table_aligns_wide_characters_and_flattens_line_breaks():
    from learnmart.cli.output import text_table

    out = text_table(["id", "title"], [["c1", "冥想入门"], ["c22", "a\nb\tc"]], title="Courses")
    lines = out.splitlines()
    assert lines == [
        "Courses",
        "id   title",
        "---  --------",
        "c1   冥想入门",
        "c22  a b c",
    ]


def test_ranks_from_one_catches_a_gap_in_a_users_ranks(demo_db, tmp_path):
    """`recommend` reads `rank <= k`: the generic test ranks_from_one guarantees ranks 1..n."""
    import re

    import jinja2

    macros = (REPO / "dbt_project" / "macros" / "generic_tests.sql").read_text()
    body = re.search(r"{% test ranks_from_one\(.*?\) %}(.*?){% endtest %}", macros, re.S).group(1)
    sql = jinja2.Template(body).render(model="user_recommendations", column_name="rank", partition_by="user_id")
    db = tmp_path / "w.duckdb"
    db.write_bytes(demo_db.read_bytes())
    with duckdb.connect(str(db)) as c:
        assert c.execute(sql).fetchall() == []
        user = c.execute("select min(user_id) from user_recommendations").fetchone()[0]
        c.execute("update user_recommendations set rank = rank + 1 where user_id = ? and rank >= 3", [user])
        assert [row[0] for row in c.execute(sql).fetchall()] == [user]
        c.execute("update user_recommendations set rank = rank - 1 where user_id = ? and rank >= 3", [user])
        c.execute("update user_recommendations set rank = rank + 1 where user_id = ?", [user])
        assert [row[0] for row in c.execute(sql).fetchall()] == [user]
