"""Long-holdout check of purchase_propensity against BG/NBD, as a new user would run it.

    python -m bench.propensity_holdout --data DIR --as-of 2025-07-01 [--weeks 39] [--purchases-only]

Builds DIR as of --as-of (with --purchases-only, a copy holding only the purchase events,
as in a purchase-only transaction log), then scores who bought in the --weeks after the
as-of among the customers who had bought before it: the AUC of the published
purchase_propensity beside BG/NBD fitted by maximum likelihood on the same calibration
history (P(purchase within the holdout), from the build's own fit) and the RFM sum.
Prints one line per ranker and the build's model_health lines. Never run in CI.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import numpy as np
from learnmart.udfs import bgnbd
from learnmart.udfs.propensity import auc

LEARNMART = str(Path(sys.executable).parent / "learnmart")


def _purchases_only(data: Path, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    events = [p for p in (data / "events.parquet", data / "events.csv") if p.exists()]
    source = (
        f"read_parquet('{events[0]}')"
        if events[0].suffix == ".parquet"
        else f"read_csv('{events[0]}', all_varchar = true)"
    )
    con.execute(f"copy (select * from {source} where lower(event_type) = 'purchase') to '{out / 'events.parquet'}'")
    return out


def _holdout_labels(data: Path, as_of: str, weeks: int) -> dict[str, bool]:
    con = duckdb.connect()
    files = [str(p) for p in sorted(data.glob("events.*"))] + [str(p) for p in sorted(data.glob("events/*"))]
    rows = con.execute(
        f"""
        select user_id, bool_or(ts > ts_as_of and ts <= ts_as_of + interval {weeks * 7} day) as bought
        from (
            select user_id, try_cast(event_ts as timestamptz) as ts, cast(? as timestamptz) as ts_as_of
            from read_parquet({files!r}, union_by_name = true)
            where lower(event_type) = 'purchase'
        )
        group by user_id
        """,
        [as_of],
    ).fetchall()
    return {user: bool(bought) for user, bought in rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--weeks", type=int, default=39)
    parser.add_argument("--purchases-only", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="learnmart-holdout-"))
    data = _purchases_only(args.data, work / "data") if args.purchases_only else args.data
    db = work / "w.duckdb"
    build = subprocess.run(
        [LEARNMART, "build", "--data", str(data), "--db", str(db), "-q", "--as-of", args.as_of],
        capture_output=True,
        text=True,
        check=False,
    )
    if build.returncode != 0:
        sys.exit(build.stderr)
    labels = _holdout_labels(data, args.as_of, args.weeks)
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute(
        """
        select s.user_id, s.purchase_propensity, coalesce(s.r_score + s.f_score + s.m_score, 0), b.bgnbd_r,
               b.bgnbd_alpha, b.bgnbd_a, b.bgnbd_b, u.paid_orders - 1, u.first_order_at, u.last_order_at, u.snapshot_at
        from user_segments as s
        inner join intermediate.int_user_snapshots_aggregated as u on u.snapshot = 'current' and u.user_id = s.user_id
        inner join intermediate.int_bgnbd_scored as b on b.snapshot = 'current' and b.user_id = s.user_id
        where u.paid_orders > 0
        """
    ).fetchall()
    y = np.array([labels.get(r[0], False) for r in rows])
    params = bgnbd.BgNbdParams(*rows[0][3:7], log_likelihood=0.0, iterations=0)
    x = np.array([r[7] for r in rows], dtype=np.int64)
    days = np.array([[(r[9] - r[8]).total_seconds(), (r[10] - r[8]).total_seconds()] for r in rows]) / 86400.0
    t_x, t = np.round(days[:, 0]) / 7.0, np.round(days[:, 1]) / 7.0
    scores = {
        "purchase_propensity": np.array([np.nan if r[1] is None else r[1] for r in rows], dtype=float),
        "bgnbd (MLE, P(buy within holdout))": bgnbd.p_purchase_within(params, x, t_x, t, float(args.weeks)),
        "rfm_score": np.array([r[2] for r in rows], dtype=float),
    }
    print(f"{len(y)} customers before {args.as_of}, {int(y.sum())} bought in the next {args.weeks} weeks")
    for name, score in scores.items():
        known = ~np.isnan(score)
        print(f"  {name:38s} AUC {auc(score[known], y[known]):.4f}  ({known.sum()} scored)")
    champion = con.execute(
        "select ranker, auc from propensity_evaluation where is_champion and population = 'all_users'"
    )
    print("  champion on the build's own 30-day window:", champion.fetchall())
    for line in con.execute("select status, check_name, message from model_health where status != 'ok'").fetchall():
        print("  model_health", *line)


if __name__ == "__main__":
    main()
