"""A MovieLens-style protocol on any ratings export: learnmart's default beside reference EASE and SAR.

    python -m bench.ratings_split [--data DIR] [--users 943] [--items 1682] [--seed 42]

Without --data, a synthetic explicit-ratings export of MovieLens-100k's shape (latent
tastes, skewed popularity, ~100k ratings). Each user's ratings are split 75/25 at random
(seeded); learnmart builds on the 75% (rating events), and every ranker's top-10 is judged
on the held-out ratings (nDCG@10, MAP@10, binary relevance): learnmart as built (default
`rec_similarity: auto`, and any --var), reference EASE (lambda 300, binary X) and reference
SAR (jaccard, affinity = rating), in the same run. Never run in CI.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb
import numpy as np
from learnmart.udfs import item_models as im

LEARNMART = str(Path(sys.executable).parent / "learnmart")


def synthetic(users: int, items: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    taste = rng.normal(size=(users, 8)) @ rng.normal(size=(8, items)) / np.sqrt(8)
    popularity = rng.normal(size=items) * 1.2 - 2.9
    activity = rng.normal(size=users) * 0.9
    rated = rng.random((users, items)) < 1 / (1 + np.exp(-(taste * 1.3 + popularity[None, :] + activity[:, None])))
    stars = np.clip(np.round(3.5 + taste + rng.normal(size=(users, items)) * 0.7), 1, 5).astype(int)
    return np.where(rated, stars, 0)


def split(ratings: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    test = np.zeros_like(ratings, dtype=bool)
    for u in range(len(ratings)):
        rated = np.flatnonzero(ratings[u])
        k = int(round(0.25 * len(rated)))
        test[u, rng.choice(rated, size=k, replace=False)] = True
    return np.where(test, 0, ratings), np.where(test, ratings, 0)


def learnmart_top10(train: np.ndarray, work: Path, variables: list[str]) -> np.ndarray:
    data = work / "data"
    data.mkdir(parents=True, exist_ok=True)
    lines = ["user_id,course_id,event_type,event_ts,rating"]
    for u, i in zip(*np.nonzero(train), strict=True):
        lines.append(f"{u},{i},rating,2026-01-01T00:00:00Z,{train[u, i]}")
    (data / "events.csv").write_text("\n".join(lines) + "\n")
    db = work / "w.duckdb"
    extra = [arg for v in variables for arg in ("--var", v)]
    subprocess.run([LEARNMART, "build", "--data", str(data), "--db", str(db), "-q", *extra], check=True)
    top = np.full((len(train), 10), -1)
    with duckdb.connect(str(db), read_only=True) as con:
        for user, course, rank in con.execute("select user_id, course_id, rank from user_recommendations").fetchall():
            top[int(user), rank - 1] = int(course)
        chosen = con.execute("select candidate from recommender_selection where chosen").fetchone()[0]
    print(f"learnmart chose {chosen}", file=sys.stderr)
    return top


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=943)
    parser.add_argument("--items", type=int, default=1682)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--var", action="append", default=[])
    args = parser.parse_args()
    ratings = synthetic(args.users, args.items, args.seed)
    train, test = split(ratings, args.seed)
    relevant = [np.flatnonzero(row) for row in test]
    keep = [i for i, r in enumerate(relevant) if len(r)]
    x = (train > 0).astype(float)
    g = x.T @ x
    seen = train > 0
    rankers = {
        "reference EASE (lambda 300)": im.top_k(x @ im.ease(g, 300.0), seen, 10),
        "reference SAR (jaccard)": im.top_k(train.astype(float) @ im.similarity("jaccard", g), seen, 10),
        "popularity": im.top_k(np.broadcast_to(x.sum(axis=0), x.shape), seen, 10),
        "learnmart": learnmart_top10(train, Path(tempfile.mkdtemp(prefix="learnmart-ratings-")), args.var),
    }
    print(f"{int((ratings > 0).sum())} ratings, {args.users} users, {args.items} items, 75/25 split, seed {args.seed}")
    for name, top in rankers.items():
        m = im.ranking_metrics(top[keep], [relevant[i] for i in keep], 10)
        print(f"  {name:28s} nDCG@10 {m['ndcg']:.4f}  MAP@10 {m['map']:.4f}")


if __name__ == "__main__":
    main()
