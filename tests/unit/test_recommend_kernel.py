"""The numpy top-k kernel behind user_recommendations, against a loop-by-loop reference."""

from __future__ import annotations

import numpy as np
import pytest
from learnmart.udfs import recommend


def _catalog(
    n, cf, content, popularity, available=None, fill_rank=None, from_segment=None, segments=0, course_keys=None
):
    if fill_rank is None:
        fill_rank = np.full((segments + 1, n), np.inf)
        from_segment = np.zeros((segments + 1, n), dtype=bool)
    return recommend.Catalog(
        course_keys=np.arange(1, n + 1, dtype=np.int64) if course_keys is None else np.asarray(course_keys),
        available=np.ones(n, dtype=bool) if available is None else np.asarray(available),
        popularity=np.asarray(popularity, dtype=np.float64),
        cf_similarity=cf,
        content_similarity=content,
        fill_rank=fill_rank,
        fill_from_segment=from_segment,
    )


def _run(catalog, user_segment, history, taken, k, weights=(1.0, 0.3, 0.2), workers=1):
    history = np.asarray(history, dtype=np.float64).reshape(-1, 3)
    taken = np.asarray(taken, dtype=np.int64).reshape(-1, 2)
    return recommend.top_k(
        catalog,
        np.asarray(user_segment, dtype=np.int64),
        history[:, 0].astype(np.int64),
        history[:, 1].astype(np.int64),
        history[:, 2],
        taken[:, 0],
        taken[:, 1],
        k=k,
        w_cf=weights[0],
        w_content=weights[1],
        w_pop=weights[2],
        workers=workers,
    )


def test_bought_course_is_never_recommended_and_explains_its_neighbours():
    # courses 0..3; u0 bought 0 (weight 5/6) and viewed 1 (1/6); u1 viewed 0; u2 has nothing
    cf = recommend.dense_similarity([0, 0, 1, 1], [1, 2, 0, 2], [0.5, 0.4, 0.5, 0.2], 4)
    content = np.zeros((4, 4))
    fill, from_segment = recommend.fill_ranks(4, 1, [0], [0], [1], [np.inf] * 4)
    catalog = _catalog(4, cf, content, [1.0, 0.5, 0.3, 0.1], fill_rank=fill, from_segment=from_segment)
    top = _run(catalog, [-1, -1, 0], [[0, 0, 5 / 6], [0, 1, 1 / 6], [1, 0, 1.0]], [[0, 0]], k=2, weights=(1, 0.3, 0.05))
    rows = list(zip(top["user"], top["rank"], top["course"], top["cf_source"], top["segment_fill"], strict=True))
    assert rows == [
        (0, 1, 1, 0, False),  # viewed-only course 1 may come back; its cf comes from course 0
        (0, 2, 2, 0, False),
        (1, 1, 1, 0, False),
        (1, 2, 2, 0, False),
        (2, 1, 0, -1, True),  # cold start: the segment's favourite, then popularity
        (2, 2, 1, -1, False),
    ]
    # u0, course 1: cf = 5/6 x 0.5; score = cf / (1 + cf) + 0.05 x 0.5
    cf01 = 5 / 6 * 0.5
    assert top["cf_score"][0] == pytest.approx(cf01)
    assert top["score"][0] == pytest.approx(cf01 / (1 + cf01) + 0.05 * 0.5)


def test_unavailable_and_taken_courses_are_skipped_and_short_lists_stay_short():
    n = 3
    catalog = _catalog(n, np.zeros((n, n)), np.zeros((n, n)), [0.9, 0.8, 0.7], available=[True, False, True])
    top = _run(catalog, [-1], [], [[0, 0]], k=5)
    assert list(top["course"]) == [2]
    assert list(top["rank"]) == [1]


# k = 4: every course makes the list, and the rules order it; k = 2: the cut falls inside the
# tie, and the rules (not the partition's order) decide who makes it
@pytest.mark.parametrize("k", [4, 2])
def test_ties_break_by_fill_rank_then_course_key(k):
    n = 4
    fill, from_segment = recommend.fill_ranks(n, 1, [0, 0], [3, 1], [1, 2], [np.inf, np.inf, 1001, np.inf])
    catalog = _catalog(n, np.zeros((n, n)), np.zeros((n, n)), [0.5] * n, fill_rank=fill, from_segment=from_segment)
    top = _run(catalog, [0, -1], [], [], k=k)
    assert list(top["course"][top["user"] == 0]) == [3, 1, 2, 0][:k]  # segment ranks 1, 2; overall 1001; key
    assert list(top["course"][top["user"] == 1]) == [2, 0, 1, 3][:k]  # no segment: overall rank, then key
    assert list(top["rank"]) == [*range(1, k + 1)] * 2


@pytest.mark.parametrize("k", [3, 2])
def test_ties_go_by_course_key_not_by_catalog_position(k):
    n = 3
    catalog = _catalog(n, np.zeros((n, n)), np.zeros((n, n)), [0.5] * n, course_keys=[30, 10, 20])
    top = _run(catalog, [-1], [], [], k=k)
    assert list(top["course"]) == [1, 2, 0][:k]


def _reference(catalog, user_segment, history, taken, k, w):
    """One user and one course at a time, straight from the formula."""
    n = len(catalog.course_keys)
    out = []
    for u in range(len(user_segment)):
        hist = [(int(c), wt) for uu, c, wt in history if uu == u]
        seen = {int(c) for uu, c in taken if uu == u}
        seg = user_segment[u] if user_segment[u] >= 0 else catalog.fill_rank.shape[0] - 1
        cands = []
        for j in range(n):
            if not catalog.available[j] or j in seen:
                continue
            cf = sum(wt * catalog.cf_similarity[i, j] for i, wt in hist)
            ct = sum(wt * catalog.content_similarity[i, j] for i, wt in hist)
            score = w[0] * cf / (1 + cf) + w[1] * ct + w[2] * catalog.popularity[j]
            sources = []
            for sim in (catalog.cf_similarity, catalog.content_similarity):
                best = max(((wt * sim[i, j], -i) for i, wt in hist), default=(0, 0))
                sources.append(-best[1] if best[0] > 0 else -1)
            cands.append((-score, catalog.fill_rank[seg, j], catalog.course_keys[j], j, *sources))
        for rank, cand in enumerate(sorted(cands)[:k], start=1):
            out.append((u, rank, cand[3], cand[4], cand[5], -cand[0]))
    return out


@pytest.mark.parametrize("storage", ["dense", "sparse"])
@pytest.mark.parametrize("workers", [1, 3])
@pytest.mark.parametrize("history_order", ["sorted", "shuffled"])
@pytest.mark.parametrize("batch_cells", [7, 64, 2**20])
def test_matches_the_loop_reference_on_random_data_at_any_batch_size(
    monkeypatch, batch_cells, history_order, workers, storage
):
    rng = np.random.default_rng(3)
    n, users, segments = 9, 40, 3
    cf = rng.random((n, n)) * (rng.random((n, n)) < 0.4)
    np.fill_diagonal(cf, 0)
    # coarse values so that exact ties happen and the tie rules are exercised
    content = np.round(rng.random((n, n)) * (rng.random((n, n)) < 0.3), 1)
    popularity = np.round(rng.random(n), 1)
    overall = np.where(rng.random(n) < 0.5, 1000 + np.arange(n), np.inf)
    fav_seg = rng.integers(0, segments, 8)
    fav_course = rng.choice(n, 8, replace=False)
    fill, from_segment = recommend.fill_ranks(n, segments, fav_seg, fav_course, rng.integers(1, 5, 8), overall)
    catalog = _catalog(
        n, cf, content, popularity, available=rng.random(n) < 0.85, fill_rank=fill, from_segment=from_segment
    )
    user_segment = rng.integers(-1, segments, users)
    pairs = {(int(u), int(c)) for u, c in zip(rng.integers(0, users, 120), rng.integers(0, n, 120), strict=True)}
    history = [(u, c, float(rng.integers(1, 4)) / 4) for u, c in sorted(pairs)]
    taken = [(u, c) for u, c, _ in history[::3]]
    monkeypatch.setattr(recommend, "BATCH_CELLS", batch_cells)

    # the model reads the history sorted by (user, course); any other order is sorted first
    given = history if history_order == "sorted" else [history[i] for i in rng.permutation(len(history))]
    scored = catalog
    if storage == "sparse":  # the path above var rec_dense_max_courses: the same lists
        from dataclasses import replace

        from learnmart.udfs.item_models import Sparse

        def as_sparse(m):
            return Sparse.from_cells(np.flatnonzero(m), m.ravel()[m.ravel() != 0], n)

        scored = replace(catalog, cf_similarity=as_sparse(cf), content_similarity=as_sparse(content))
    top = _run(scored, user_segment, given, taken, k=4, workers=workers)

    expected = _reference(catalog, user_segment, history, taken, 4, (1.0, 0.3, 0.2))
    got = list(
        zip(top["user"], top["rank"], top["course"], top["cf_source"], top["content_source"], top["score"], strict=True)
    )
    assert [g[:5] for g in got] == [e[:5] for e in expected]
    assert np.allclose([g[5] for g in got], [e[5] for e in expected])


def test_k_below_one_is_refused_with_the_var_named():
    catalog = _catalog(2, np.zeros((2, 2)), np.zeros((2, 2)), [0.5, 0.4])
    with pytest.raises(ValueError, match="var rec_k"):
        _run(catalog, [-1], [], [], k=0)


def test_no_courses_or_no_users_give_empty_results():
    empty = _catalog(0, np.zeros((0, 0)), np.zeros((0, 0)), [])
    assert len(_run(empty, [-1, -1], [], [], k=3)["user"]) == 0
    one = _catalog(1, np.zeros((1, 1)), np.zeros((1, 1)), [1.0])
    assert len(_run(one, [], [], [], k=3)["course"]) == 0
