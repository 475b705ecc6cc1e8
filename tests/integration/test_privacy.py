"""Demographics are minimized: no breakdown shows a cell of fewer than k users (issue 27).

The generator plants a rare region (`overseas`: 2 of the demo's 1,500 users) and, with five
attributes, hundreds of rare combinations. Every mart that is not one user's own row (it has
no user_id) is scanned: a demographic breakdown must count at least k users in every row,
and the rare region must appear in none of them.
"""

from __future__ import annotations

import duckdb
import pytest

DEMOGRAPHICS = {"age_band", "gender", "region", "occupation", "education", "attribute"}
K = 10  # var k_anonymity's default


@pytest.fixture(scope="module")
def con(demo_db):
    with duckdb.connect(str(demo_db), read_only=True) as con:
        yield con


def _marts(con) -> dict[str, set[str]]:
    rows = con.execute(
        "select table_name, list(lower(column_name)) from information_schema.columns "
        "where table_schema = 'main' group by table_name"
    ).fetchall()
    return {name: set(columns) for name, columns in rows}


def _rows_holding(con, table: str, columns: set[str], text: str) -> int:
    """Rows of ``table`` with ``text`` as the whole value of any column."""
    where = " or ".join(f'"{c}"::varchar = ?' for c in sorted(columns))
    return con.execute(f"select count(*) from {table} where {where}", [text] * len(columns)).fetchone()[0]


def test_the_rare_values_are_planted(con):
    overseas = con.execute("select count(*) from intermediate.int_users_keyed where region = 'overseas'").fetchone()[0]
    assert 0 < overseas < K
    rare_combinations = con.execute(
        "select count(*) from (select age_band, gender, region, occupation, education from user_profiles "
        "group by all having count(*) < ?)",
        [K],
    ).fetchone()[0]
    assert rare_combinations > 0


def test_grouping_user_profiles_by_one_demographic_never_counts_under_k(con):
    """A BI tool's first chart: users by region (or any one attribute) from user_profiles.
    Rare values show as '(other)' there; combinations of attributes are not protected in
    one user's own row, which docs/raw_contract.md says."""
    for attribute in ("age_band", "gender", "region", "occupation", "education"):
        smallest = con.execute(
            f"select min(n) from (select count(*) as n from user_profiles group by {attribute})"
        ).fetchone()[0]
        assert smallest >= K, attribute
    assert con.execute("select count(*) from user_profiles where region = '(other)'").fetchone()[0] >= K


def test_no_breakdown_shows_a_cell_under_k(con):
    breakdowns = {
        name: columns for name, columns in _marts(con).items() if columns & DEMOGRAPHICS and "user_id" not in columns
    }
    assert "demographic_summary" in breakdowns
    for name, columns in breakdowns.items():
        assert "users" in columns, f"{name} breaks users down by demographics without a users count"
        # a cell of nobody shows no one (cluster_demographics shows its zero cells)
        smallest = con.execute(f'select min(users) filter (where users > 0) from "{name}"').fetchone()[0]
        assert smallest is None or smallest >= K, name


def test_the_rare_region_leaves_in_no_aggregate_or_export(con):
    for name, columns in _marts(con).items():
        assert _rows_holding(con, name, columns, "overseas") == 0, name
    # the scan does find the region where it is: in the keyed users, before generalizing
    users = {r[0] for r in con.execute("describe intermediate.int_users_keyed").fetchall()}
    assert _rows_holding(con, "intermediate.int_users_keyed", users, "overseas") > 0
    regions = dict(con.execute("select value, users from demographic_summary where attribute = 'region'").fetchall())
    assert "(other)" in regions and regions["(other)"] >= K
    total = con.execute("select count(*) from user_features").fetchone()[0]
    assert sum(regions.values()) == total  # folded, not dropped


def test_no_suppressed_cluster_cell_comes_back_by_subtraction(con):
    """cluster_demographics against an attacker who knows every cluster's size and every
    value's total: solving each cluster or value with one hidden cell left, again and again,
    recovers no small cell and leaves no hidden sum under k (learnmart.udfs.suppression)."""
    import numpy as np
    from learnmart.udfs.suppression import disclosed

    rows = con.execute(
        "select c.attribute, c.cluster_id, c.value, c.users, p.is_suppressed, p.users "
        "from intermediate.int_cluster_demographics_counted c "
        "join cluster_demographics p using (cluster_id, attribute, value) order by all"
    ).fetchall()
    complements = 0
    for attribute in {r[0] for r in rows}:
        cells = [r for r in rows if r[0] == attribute]
        clusters = sorted({r[1] for r in cells})
        values = sorted({r[2] for r in cells})
        counts = np.zeros((len(clusters), len(values)), dtype=np.int64)
        hidden = np.zeros_like(counts, dtype=bool)
        for _, cluster, value, users, is_suppressed, shown in cells:
            i, j = clusters.index(cluster), values.index(value)
            counts[i, j], hidden[i, j] = users, is_suppressed
            assert (shown is None) == is_suppressed and (is_suppressed or shown == users)
            complements += is_suppressed and users >= K
        assert disclosed(counts, hidden, K) == [], attribute
        # the published totals are the ones the attacker reads
        sizes = dict(con.execute("select cluster_id, users from cluster_summary").fetchall())
        assert [sizes[c] for c in clusters] == counts.sum(axis=1).tolist()
        totals = dict(
            con.execute("select value, users from demographic_summary where attribute = ?", [attribute]).fetchall()
        )
        assert [totals.get(v, 0) for v in values] == counts.sum(axis=0).tolist()
    # the demo has cells under k, and hiding them alone would not do
    assert con.execute("select count(*) from cluster_demographics where is_suppressed").fetchone()[0] > 0
    assert complements > 0
