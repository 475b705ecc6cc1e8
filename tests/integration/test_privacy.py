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
    return con.execute(f'select count(*) from "{table}" where {where}', [text] * len(columns)).fetchone()[0]


def test_the_rare_values_are_planted(con):
    overseas = con.execute("select count(*) from user_profiles where region = 'overseas'").fetchone()[0]
    assert 0 < overseas < K
    rare_combinations = con.execute(
        "select count(*) from (select age_band, gender, region, occupation, education from user_profiles "
        "group by all having count(*) < ?)",
        [K],
    ).fetchone()[0]
    assert rare_combinations > 0


def test_no_breakdown_shows_a_cell_under_k(con):
    breakdowns = {
        name: columns for name, columns in _marts(con).items() if columns & DEMOGRAPHICS and "user_id" not in columns
    }
    assert "demographic_summary" in breakdowns
    for name, columns in breakdowns.items():
        assert "users" in columns, f"{name} breaks users down by demographics without a users count"
        smallest = con.execute(f'select min(users) from "{name}"').fetchone()[0]
        assert smallest is None or smallest >= K, name


def test_the_rare_region_leaves_in_no_aggregate_or_export(con):
    for name, columns in _marts(con).items():
        if "user_id" in columns:
            continue  # one user's own row (user_profiles): not a breakdown
        assert _rows_holding(con, name, columns, "overseas") == 0, name
    # the scan does find the region where it is: in one user's own row
    assert _rows_holding(con, "user_profiles", _marts(con)["user_profiles"], "overseas") > 0
    regions = dict(con.execute("select value, users from demographic_summary where attribute = 'region'").fetchall())
    assert "(other)" in regions and regions["(other)"] >= K
    total = con.execute("select count(*) from user_features").fetchone()[0]
    assert sum(regions.values()) == total  # folded, not dropped
