"""k-means, silhouette and cluster naming (udfs/clusters.py) on data with planted groups."""

from __future__ import annotations

import numpy as np
import pytest
from learnmart.udfs import clusters as cl


def _blobs(sizes=(400, 250, 120), dims=4, spread=0.6, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(len(sizes), dims))
    x = np.vstack([c + rng.normal(scale=spread, size=(n, dims)) for c, n in zip(centres, sizes, strict=True)])
    truth = np.repeat(np.arange(len(sizes)), sizes)
    return x, truth


def test_planted_groups_are_recovered_and_numbered_by_size():
    x, truth = _blobs()
    fit = cl.kmeans(x, 3, seed=1)
    assert fit.converged
    assert cl.adjusted_rand_index(truth, fit.labels) > 0.95
    assert list(np.bincount(fit.labels)) == sorted(np.bincount(fit.labels), reverse=True)
    assert np.allclose(fit.distances, np.linalg.norm(x - fit.centroids[fit.labels], axis=1))


def test_ids_do_not_shuffle_with_row_order_or_rebuilds():
    x, _ = _blobs(seed=2)
    first = cl.kmeans(x, 3, seed=7)
    again = cl.kmeans(x, 3, seed=7)
    assert np.array_equal(first.labels, again.labels)
    perm = np.random.default_rng(3).permutation(len(x))
    shuffled = cl.kmeans(x[perm], 3, seed=7)
    # the same partition and the same ids for the same points (clusters are well separated)
    assert np.array_equal(shuffled.labels, first.labels[perm])


def test_silhouette_picks_the_planted_k_and_matches_its_definition():
    x, _ = _blobs(sizes=(200, 200, 200, 200), seed=4)
    fitted = cl.fit(x, 2, 6, seed=5)  # as int_clusters_fitted chooses k
    assert len(fitted.clustering.centroids) == 4 and fitted.k_scores[4] > 0.6
    assert max(fitted.k_scores, key=fitted.k_scores.get) == 4 and fitted.silhouette > fitted.baseline
    # by hand on a tiny case: points 0, 1 and 10, 11 in one dimension
    tiny = np.array([[0.0], [1.0], [10.0], [11.0]])
    labels = np.array([0, 0, 1, 1])
    a, b = 1.0, (10 + 11) / 2  # point 0: mean distance to its own and to the other cluster
    expected = ((b - a) / b + (9.5 - 1) / 9.5 + (9.5 - 1) / 9.5 + (10.5 - 1) / 10.5) / 4
    assert cl.silhouette(tiny, labels, sample=10) == pytest.approx(expected)


def test_edge_cases_stay_finite():
    assert len(cl.kmeans(np.zeros((0, 3)), 4).labels) == 0
    same = cl.kmeans(np.ones((50, 2)), 5)  # one distinct row: one cluster
    assert set(same.labels) == {0} and same.inertia == 0.0
    few = cl.kmeans(np.array([[0.0, 0.0], [5.0, 5.0]]), 6)
    assert sorted(few.labels) == [0, 1]
    z, means, stds = cl.standardize(np.column_stack([np.arange(10.0), np.full(10, 3.0)]))
    assert np.allclose(z[:, 1], 0.0) and stds[1] == 1.0 and means[1] == 3.0


def test_names_come_from_the_most_distinctive_z_scores():
    centroids = np.array([[2.0, -0.1, -1.2], [0.1, 0.2, -0.3]])
    assert cl.names(centroids, ["completion", "spend", "recency"]) == ["high completion, low recency", "average"]


def test_adjusted_rand_index_by_hand():
    assert cl.adjusted_rand_index(np.array([0, 0, 1, 1]), np.array([5, 5, 7, 7])) == pytest.approx(1.0)
    # the worked example of Hubert & Arabie's index: one point moved between two groups of three
    value = cl.adjusted_rand_index(np.array([0, 0, 0, 1, 1, 1]), np.array([0, 0, 1, 1, 1, 1]))
    assert value == pytest.approx(0.3243243243, abs=1e-9)


def test_fit_chooses_k_on_a_sample_and_warm_starts_every_row():
    x, truth = _blobs(sizes=(6000, 4000, 3000, 2000), dims=6, seed=8)
    z, _, _ = cl.standardize(x)
    fit = cl.fit(z, 2, 6, seed=3, sample_rows=2000)
    assert fit.sample_rows == 2000 and set(fit.k_scores) == {2, 3, 4, 5, 6}
    assert len(fit.clustering.centroids) == 4 and fit.clustering.converged
    assert cl.adjusted_rand_index(truth, fit.clustering.labels) > 0.95
    # planted groups stand out against the same k on shuffled columns (no groups)
    assert fit.silhouette > 0.5 > fit.baseline
    again = cl.fit(z, 2, 6, seed=3, sample_rows=2000)
    assert np.array_equal(again.clustering.labels, fit.clustering.labels)
    pinned = cl.fit(z, 2, 6, k=3, seed=3, sample_rows=2000)
    assert pinned.k_scores == {} and len(pinned.clustering.centroids) == 3


def test_fit_of_no_rows_is_one_empty_cluster():
    fit = cl.fit(np.zeros((0, 3)), 3, 8)
    assert len(fit.clustering.labels) == 0 and len(fit.clustering.centroids) == 1


def test_names_in_a_features_own_words_and_never_twice():
    centroids = np.array([[1.5, -0.8], [-1.0, 0.1], [-1.2, 0.0]])
    words = [("audio listeners", "little audio"), ("evenings", "daytime")]
    assert cl.names(centroids, words) == ["audio listeners, daytime", "little audio (1)", "little audio (2)"]
