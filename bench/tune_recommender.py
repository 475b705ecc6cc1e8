"""Compare recommender variants on generated data with both offline splits.

    python -m bench.tune_recommender [--users 5000] [--seed 42] [--out bench/results/recommender_tuning.md]

Builds one evaluation warehouse per (variant, split) through the same code path as
`learnmart evaluate`, and writes a Markdown table of NDCG@10, MAP@10, recall@10 and hit
rate for each, beside popularity and the oracle. Takes a few minutes; never run in CI.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import tempfile
import time
from pathlib import Path

import duckdb
from learnmart.datagen import GeneratorConfig, generate

from learnmart.warehouse.engine import run_build

VARIANTS: list[tuple[str, dict]] = [
    ("default: auto (recommender_selection picks)", {}),
    (
        "cosine, content 0.3, popularity 0.2",
        {"rec_similarity": "cosine", "rec_weight_content": 0.3, "rec_weight_popularity": 0.2},
    ),
    ("cosine, popularity 0.05", {"rec_weight_popularity": 0.05}),
    ("jaccard (SAR's similarity)", {"rec_similarity": "jaccard"}),
    (
        "jaccard, no content, popularity 0.05 (plain SAR + tie-break)",
        {"rec_similarity": "jaccard", "rec_weight_content": 0.0, "rec_weight_popularity": 0.05},
    ),
    ("lift", {"rec_similarity": "lift"}),
    ("rp3beta 0.5", {"rec_similarity": "rp3beta"}),
    ("ease l2=10", {"rec_similarity": "ease", "ease_l2": 10.0}),
    ("ease l2=50", {"rec_similarity": "ease", "ease_l2": 50.0}),
    ("ease l2=200", {"rec_similarity": "ease", "ease_l2": 200.0}),
    ("ease l2=500", {"rec_similarity": "ease", "ease_l2": 500.0}),
    ("cosine, no content", {"rec_similarity": "cosine", "rec_weight_content": 0.0}),
    ("cosine, content 1.0", {"rec_similarity": "cosine", "rec_weight_content": 1.0}),
    ("cosine, half-life 90d", {"half_life_days": 90}),
    ("cosine, half-life 7d", {"half_life_days": 7}),
    ("cosine, popularity 0.2, half-life 90d", {"half_life_days": 90}),
    ("confidence, popularity 0.2, half-life 90d", {"rec_similarity": "confidence", "half_life_days": 90}),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--variants", default="all", help="comma-separated indexes or 'all'")
    parser.add_argument("--out", type=Path, default=Path("bench/results/recommender_tuning.md"))
    args = parser.parse_args()
    chosen = VARIANTS if args.variants == "all" else [VARIANTS[int(i)] for i in args.variants.split(",")]

    work = Path(tempfile.mkdtemp(prefix="learnmart-tune-"))
    data = work / "data"
    generate(data, GeneratorConfig(users=args.users, seed=args.seed))
    lines = [
        f"# Recommender variants on generated data ({args.users} users, seed {args.seed})",
        "",
        f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} "
        f"({platform.processor() or platform.machine()}), duckdb {duckdb.__version__}. "
        "Command: `python -m bench.tune_recommender`. Relevance: purchase, completion or rating >= 4.",
        "",
        "| variant | split | NDCG@10 | MAP@10 | recall@10 | hit rate | coverage | popularity NDCG | oracle NDCG |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, overrides in chosen:
        for split in ("temporal", "user_random"):
            db = work / "eval.duckdb"
            started = time.time()
            run_build(data, db, quiet=True, extra_vars={"eval_split": split, **overrides})
            con = duckdb.connect(str(db), read_only=True)
            rows = {
                r[0]: r[1:]
                for r in con.execute(
                    "select ranker, ndcg_at_k, map_at_k, recall_at_k, hit_rate, catalog_coverage "
                    "from recommendation_evaluation"
                ).fetchall()
            }
            con.close()
            m, p, o = rows["model"], rows["popularity"], rows.get("oracle", (float("nan"),))
            lines.append(
                f"| {label} | {split} | {m[0]:.4f} | {m[1]:.4f} | {m[2]:.4f} | {m[3]:.4f} | {m[4]:.3f} "
                f"| {p[0]:.4f} | {o[0]:.4f} |"
            )
            print(lines[-1], f"({time.time() - started:.0f}s)", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
