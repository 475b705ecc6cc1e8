"""A SAR-style reference pipeline in numpy/scipy, for side-by-side timing with learnmart.

What Microsoft Recommenders' SAR does, on the same raw events learnmart reads:
user x course affinity with event weights and a 30-day half-life time decay (from the
latest event), binary occurrence H, co-occurrence C = H'H, Jaccard similarity, scores
A x S, remove seen courses, top-10 for every user. Timed in two steps: (a) co-occurrence
and similarity alone, (b) raw events to top-10 for all users. Where `implicit` installs,
its item-item cosine recommender (K=50) runs on the same affinity matrix too.
Bench-only: needs scipy (and optionally implicit).

    python -m bench.sar_reference --data DIR
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import duckdb
import numpy as np

WEIGHTS = {"view": 1.0, "trial": 2.0, "favorite": 3.0, "share": 3.0, "complete": 4.0, "purchase": 5.0, "refund": -5.0}


def run(data: Path, k: int = 10, half_life_days: float = 30.0) -> dict[str, float]:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    import scipy.sparse as sp

    started = time.perf_counter()
    files = [data / "events.parquet"] if (data / "events.parquet").exists() else sorted(data.glob("events/*.parquet"))
    columns = ["user_id", "course_id", "event_type", "event_ts", "rating"]
    events_tbl = pa.concat_tables([pq.read_table(f, columns=columns) for f in files])
    events_tbl = events_tbl.filter(pc.and_(pc.is_valid(events_tbl["course_id"]), pc.is_valid(events_tbl["user_id"])))
    ts_parsed = duckdb.sql(
        "select epoch(timezone('UTC', try_cast(event_ts as timestamptz))) as ts from events_tbl"
    ).fetchnumpy()["ts"]
    ts = np.asarray(ts_parsed, dtype=np.float64)
    ok = ~np.isnan(ts)
    events_tbl = events_tbl.filter(ok)
    ts = ts[ok]
    # integer codes for users, courses and event types (dictionary encoding, vectorized)
    users_enc = pc.dictionary_encode(events_tbl["user_id"]).combine_chunks()
    items_enc = pc.dictionary_encode(events_tbl["course_id"]).combine_chunks()
    types_enc = pc.dictionary_encode(events_tbl["event_type"]).combine_chunks()
    u_idx = users_enc.indices.to_numpy()
    i_idx = items_enc.indices.to_numpy()
    users, items = users_enc.dictionary, items_enc.dictionary
    type_weight = np.array([WEIGHTS.get(t, 0.0) for t in types_enc.dictionary.to_pylist()])
    weight = type_weight[types_enc.indices.to_numpy()]
    rating = np.nan_to_num(events_tbl["rating"].to_numpy(zero_copy_only=False).astype(np.float64))
    is_rating = np.asarray(types_enc.dictionary.to_pylist(), dtype=object)[types_enc.indices.to_numpy()] == "rating"
    weight = weight + np.where(is_rating, rating, 0.0)
    decay = 0.5 ** ((ts.max() - ts) / 86400.0 / half_life_days)
    affinity = sp.csr_matrix((weight * decay, (u_idx, i_idx)), shape=(len(users), len(items)))
    affinity.sum_duplicates()
    loaded = time.perf_counter()

    # (a) co-occurrence and Jaccard similarity
    h = (affinity > 0).astype(np.float64).tocsr()
    c = (h.T @ h).toarray()
    diag = np.diag(c)
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = c / (diag[:, None] + diag[None, :] - c)
    jaccard = np.nan_to_num(jaccard)
    np.fill_diagonal(jaccard, 0.0)
    cooccurrence_s = time.perf_counter() - loaded

    # scores, remove seen, top-k for every user
    positive = affinity.maximum(0)
    scores = np.asarray(positive @ jaccard)
    seen = affinity.nonzero()
    scores[seen] = -np.inf
    top = np.argpartition(-scores, min(k, scores.shape[1] - 1), axis=1)[:, :k]
    order = np.take_along_axis(scores, top, axis=1).argsort(axis=1)[:, ::-1]
    top = np.take_along_axis(top, order, axis=1)
    total_s = time.perf_counter() - started
    result = {
        "users": float(len(users)),
        "courses": float(len(items)),
        "load_s": loaded - started,
        "cooccurrence_s": cooccurrence_s,
        "total_s": total_s,
        "top_rows": float(top.size),
    }
    result.update(_implicit_item_item(affinity, k, loaded - started))
    return result


def _implicit_item_item(affinity, k: int, load_s: float) -> dict[str, float]:
    """implicit's item-item cosine recommender on the same affinity matrix, where it installs."""
    try:
        from implicit.nearest_neighbours import CosineRecommender
    except ImportError:
        return {}
    import threadpoolctl

    positive = affinity.maximum(0).tocsr()
    with threadpoolctl.threadpool_limits(1, "blas"):
        started = time.perf_counter()
        model = CosineRecommender(K=50)
        model.fit(positive, show_progress=False)
        fitted = time.perf_counter()
        ids, _ = model.recommend(np.arange(positive.shape[0]), positive, N=k, filter_already_liked_items=True)
        done = time.perf_counter()
    return {
        "implicit_fit_s": fitted - started,
        "implicit_total_s": load_s + (done - started),
        "implicit_top_rows": float(ids.size),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    args = parser.parse_args()
    print(json.dumps(run(args.data)))


if __name__ == "__main__":
    main()
