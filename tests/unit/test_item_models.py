"""Item-item models against short reference implementations written straight from the papers."""

from __future__ import annotations

import numpy as np
import pytest
from learnmart.udfs import item_models as im


def _random_interactions(users=300, n=60, density=0.08, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.random((users, n)) < density * rng.uniform(0.2, 2.0, n)[None, :]).astype(float)
    x *= rng.uniform(0.5, 3.0, x.shape)  # affinities
    u, i = np.nonzero(x)
    return x, im.Interactions.from_pairs(u, i, x[u, i], users, n)


def _reference_ease(x: np.ndarray, lam: float) -> np.ndarray:
    """Steck's EASE, as printed in the paper (binary X)."""
    g = x.T @ x
    g[np.diag_indices_from(g)] += lam
    p = np.linalg.inv(g)
    b = p / (-np.diag(p))
    b[np.diag_indices_from(b)] = 0.0
    return b


def _reference_sar_jaccard(h: np.ndarray) -> np.ndarray:
    c = h.T @ h
    d = np.diag(c)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.nan_to_num(c / (d[:, None] + d[None, :] - c))
    np.fill_diagonal(s, 0.0)
    return s


def test_cooccurrence_is_the_gram_of_the_binary_rows_and_chunks_do_not_matter(monkeypatch):
    x, data = _random_interactions()
    h = (x > 0).astype(float)
    assert np.array_equal(im.cooccurrence(data), h.T @ h)
    weights = 1.0 / np.maximum(h.sum(axis=1), 1)
    assert im.cooccurrence(data, weights) == pytest.approx(h.T @ (h * weights[:, None]), abs=1e-12)
    monkeypatch.setattr(im, "PAIR_CHUNK", 7)  # many chunks, users larger than a chunk
    assert np.array_equal(im.cooccurrence(data), h.T @ h)


def test_ease_matches_the_reference_to_1e9_keeps_negative_weights_and_scores_x_b():
    x, data = _random_interactions(seed=1)
    h = (x > 0).astype(float)
    for lam in (1.0, 30.0, 500.0):
        b = im.ease(im.cooccurrence(data), lam)
        ref = _reference_ease(h, lam)
        assert np.abs(b - ref).max() < 1e-9
        assert (b < 0).any()
        # orientation: user scores are X B (column j scores course j from the user's courses)
        top = im.top_k_scores(h[:20], b, h[:20] > 0, 10)
        ref_scores = np.where(h[:20] > 0, -np.inf, h[:20] @ ref)
        for row, picks in zip(ref_scores, top, strict=True):
            assert list(picks) == list(np.argsort(-row, kind="stable")[:10])


def test_jaccard_is_sar_similarity_and_gives_sar_top_10():
    x, data = _random_interactions(seed=2)
    h = (x > 0).astype(float)
    s = im.similarity("jaccard", im.cooccurrence(data))
    ref = _reference_sar_jaccard(h)
    assert np.abs(s - ref).max() < 1e-12
    top = im.top_k_scores(x, s, h > 0, 10)
    scores = np.where(h > 0, -np.inf, x @ ref)
    for row, picks in zip(scores, top, strict=True):
        expected = [j for j in np.lexsort((np.arange(len(row)), -row))[:10] if np.isfinite(row[j])]
        assert list(picks[: len(expected)]) == expected


def test_cosine_lift_and_rp3beta_by_their_definitions():
    x, data = _random_interactions(seed=3, users=80, n=15)
    h = (x > 0).astype(float)
    c = h.T @ h
    d = np.diag(c)
    cos = im.similarity("cosine", im.cooccurrence(data))
    i, j = 2, 7
    assert cos[i, j] == pytest.approx(c[i, j] / np.sqrt(d[i] * d[j]))
    lift = im.similarity("lift", im.cooccurrence(data), users=80)
    assert lift[i, j] == pytest.approx(80 * c[i, j] / (d[i] * d[j]))
    # RP3beta: P(i -> u -> j) with uniform steps, damped by j's popularity
    p_ui = h / np.maximum(h.sum(axis=1, keepdims=True), 1)
    p_iu = (h / np.maximum(d, 1)).T
    walk = p_iu @ p_ui
    cu = im.cooccurrence(data, 1.0 / np.maximum(h.sum(axis=1), 1))
    rp3 = im.similarity("rp3beta", im.cooccurrence(data), beta=0.5, c_user_normalized=cu)
    assert rp3[i, j] == pytest.approx(walk[i, j] / d[j] ** 0.5)
    assert np.all(np.diag(rp3) == 0) and np.all(np.diag(cos) == 0)


def test_ranking_metrics_by_hand():
    top = np.array([[3, 1, 2], [5, 6, -1]])
    relevant = [np.array([1, 9]), np.array([7])]
    m = im.ranking_metrics(top, relevant, 3)
    # user 1: hit at rank 2 -> dcg 1/log2(3), ideal 1 + 1/log2(3); ap = (1/2)/2; recall 1/2
    ndcg_1 = (1 / np.log2(3)) / (1 + 1 / np.log2(3))
    assert m["ndcg"] == pytest.approx(ndcg_1 / 2)
    assert m["map"] == pytest.approx(0.25 / 2)
    assert m["recall"] == pytest.approx(0.25)
    assert m["coverage"] == 5


@pytest.mark.parametrize("kind", ["cosine", "jaccard", "lift", "rp3beta"])
def test_the_sparse_fit_equals_the_dense_fit_and_keeps_each_courses_strongest(kind, monkeypatch):
    x, data = _random_interactions(seed=3)
    candidate = im.Candidate(kind, kind, 0.5 if kind == "rp3beta" else 0.0)
    dense = im.fit(candidate, data)
    monkeypatch.setattr(im, "PAIR_CHUNK", 50)  # chunks merged across users
    whole, found = im.fit_sparse(candidate, data, keep=data.n)
    assert np.array_equal(found, (dense != 0).sum(axis=1))
    assert whole.dense() == pytest.approx(dense, abs=1e-12)
    assert np.all(np.diff(whole.cells) > 0)
    kept, found = im.fit_sparse(candidate, data, keep=5)
    nonzero = (dense != 0).sum(axis=1)
    assert np.array_equal(found, nonzero) and (nonzero > 5).any()
    got = kept.dense()
    for i in range(data.n):
        strength = np.where(dense[i] != 0, np.abs(dense[i]), -1.0)
        want = np.argsort(-strength, kind="stable")[: min(5, nonzero[i])]
        assert set(np.flatnonzero(got[i])) == set(want)
        assert got[i, want] == pytest.approx(dense[i, want], abs=1e-12)


def test_sparse_products_and_lookups_equal_the_dense_ones():
    rng = np.random.default_rng(4)
    n = 40
    s = np.where(rng.random((n, n)) < 0.1, rng.normal(size=(n, n)), 0.0)
    sparse = im.Sparse.from_cells(np.flatnonzero(s), s.ravel()[s.ravel() != 0], n)
    assert np.array_equal(sparse.dense(), s)
    rows = np.where(rng.random((7, n)) < 0.2, rng.random((7, n)), 0.0)
    assert im.product(rows, sparse) == pytest.approx(rows @ s, abs=1e-12)
    cells = rng.integers(0, n * n, 500)
    assert np.array_equal(sparse.take(cells), s.ravel().take(cells))
    empty = im.Sparse.from_cells(np.zeros(0, dtype=np.int64), np.zeros(0), n)
    assert np.array_equal(empty.take(cells), np.zeros(500))
    assert not im.product(rows, empty).any()


def test_the_leaderboard_is_the_same_in_batches_and_on_the_sparse_path(monkeypatch):
    from learnmart.udfs.recommend import blend

    x, data = _random_interactions(users=400, n=50, seed=5)
    taken = np.ones(len(data.courses), dtype=bool)
    last_seen = np.random.default_rng(0).random(len(data.courses))
    holdout = im.latest_holdout(data, taken, last_seen, sample=200, seed=1)
    marks = np.zeros((len(holdout.users), data.n), dtype=bool)
    for row, u in enumerate(holdout.users):
        lo, hi = holdout.train.indptr[u], holdout.train.indptr[u + 1]
        marks[row, holdout.train.courses[lo:hi]] = True
    options = [im.Candidate(k, k) for k in ("cosine", "jaccard", "lift")] + [im.Candidate("popularity", "popularity")]
    args = dict(content=np.zeros((data.n, data.n)), available=np.ones(data.n, dtype=bool), k=10, blend=blend)
    whole = im.leaderboard(holdout, marks, options, **args)
    monkeypatch.setattr(im, "HOLDOUT_BATCH_CELLS", 7 * data.n)  # 7 users per batch
    sparse = im.leaderboard(holdout, marks, options, sparse_keep=data.n, **args)
    for a, b in zip(whole, sparse, strict=True):
        assert a["ndcg"] == pytest.approx(b["ndcg"], abs=1e-12) and a["chosen"] == b["chosen"]


def test_content_neighbors_match_the_pairwise_definition_in_any_batch(monkeypatch):
    """Each course's top cosines among the courses sharing its category or a tag, ties by id."""
    rng = np.random.default_rng(7)
    n, width = 60, 12
    vectors = np.round(rng.random((n, width)) * (rng.random((n, width)) < 0.3), 1)
    category = rng.integers(-1, 4, n)
    tags = [sorted(set(rng.integers(0, 9, rng.integers(0, 3)).tolist())) for _ in range(n)]
    indptr = np.r_[0, np.cumsum([len(t) for t in tags])]
    tag_ids = np.array([t for ts in tags for t in ts], dtype=np.int64)
    order = rng.permutation(n)
    expected = []
    for i in range(n):
        cands = []
        for j in range(n):
            share = (category[i] >= 0 and category[i] == category[j]) or set(tags[i]) & set(tags[j])
            a, b = np.linalg.norm(vectors[i]), np.linalg.norm(vectors[j])
            cos = vectors[i] @ vectors[j] / (a * b) if a and b else 0.0
            if i != j and share and cos > 0:
                cands.append((-cos, order[j], j))
        expected += [(i, j, -c, r) for r, (c, _, j) in enumerate(sorted(cands)[:5], start=1)]
    for cells in (1 << 22, 3 * n):
        monkeypatch.setattr(im, "CONTENT_BATCH_CELLS", cells)
        src, dst, cos, rank = im.content_neighbors(vectors, category, indptr, tag_ids, order, 5)
        assert [(a, b, r) for a, b, _, r in expected] == list(zip(src, dst, rank, strict=True))
        assert cos == pytest.approx([c for _, _, c, _ in expected], abs=1e-12)


def test_top_k_follows_score_then_prior_then_position_as_a_full_sort_does():
    rng = np.random.default_rng(8)
    scores = np.round(rng.random((50, 30)), 1)  # coarse: many exact ties
    scores[rng.random(scores.shape) < 0.2] = 0.0
    exclude = rng.random(scores.shape) < 0.3
    exclude[0] = True  # nothing left: all -1
    exclude[1, 3:] = True  # fewer than k left
    prior = np.round(rng.random(30), 1)
    top = im.top_k(scores, exclude, 8, prior)
    for row in range(50):
        allowed = np.flatnonzero(~exclude[row])
        ranked = sorted(allowed, key=lambda j: (-scores[row, j], -prior[j], j))[:8]
        assert list(top[row][top[row] >= 0]) == ranked
        assert (top[row][len(ranked) :] == -1).all()


@pytest.mark.parametrize("scale", [0.3, 3.0, 50.0])
def test_top_k_keeps_its_tie_rule_on_large_catalogs_and_large_scores(scale):
    """Ties decided by prior then position at n = 20,000 and scores well above 1, where a
    nudge below the float spacing would leave them to the partition's order."""
    rng = np.random.default_rng(9)
    n = 20_000
    scores = scale * np.round(rng.random((6, n)) * 4) / 4  # five levels: massive ties
    prior = np.round(rng.random(n), 2)
    exclude = np.zeros(scores.shape, dtype=bool)
    top = im.top_k(scores, exclude, 10, prior)
    for row in range(6):
        expected = np.lexsort((np.arange(n), -prior, -scores[row]))[:10]
        assert list(top[row]) == list(expected)


def test_the_leaderboard_on_the_sparse_path_takes_every_auto_candidate_ease_included():
    """The sparse path (catalog above rec_dense_max_courses) with EASE still a candidate
    (ease_max_courses above it) fits EASE densely and cuts it like the others."""
    from learnmart.udfs.recommend import blend

    x, data = _random_interactions(users=300, n=40, seed=11)
    holdout = im.latest_holdout(data, np.ones(len(data.courses), dtype=bool), np.arange(len(data.courses)), 100, 1)
    marks = np.zeros((len(holdout.users), data.n), dtype=bool)
    options = im.choosable(im.candidates(im.course_users(data), False, 0.5), "auto", None, 1.0, None, None)
    assert any(o.kind == "ease" for o in options)
    args = dict(content=np.zeros((data.n, data.n)), available=np.ones(data.n, dtype=bool), k=10, blend=blend)
    dense = im.leaderboard(holdout, marks, options, **args)
    sparse = im.leaderboard(holdout, marks, options, sparse_keep=data.n, **args)
    assert [round(r["ndcg"], 12) for r in dense] == [round(r["ndcg"], 12) for r in sparse]
    ease = next(o for o in options if o.kind == "ease")
    cut, found = im.fit_sparse(ease, data, keep=5)
    full = im.fit(ease, data)
    assert np.array_equal(found, np.count_nonzero(full, axis=1)) and found.max() > 5
    for i in range(data.n):
        strongest = np.argsort(-np.where(full[i] != 0, np.abs(full[i]), -1.0), kind="stable")[:5]
        assert set(np.flatnonzero(cut.dense()[i])) == set(strongest)
        assert cut.dense()[i, strongest] == pytest.approx(full[i, strongest], abs=1e-12)
