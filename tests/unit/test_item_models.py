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
