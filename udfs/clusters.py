"""Behavioural clusters in numpy: seeded k-means++ and Lloyd's iterations, k chosen by silhouette.

For the profile's clustering (issue 27): the caller standardizes the features (z-scores,
so spend in yuan and recency in days weigh alike) and gets, per user, a cluster id and
the distance to its centroid. Ids are stable: clusters are numbered by size (largest
first), ties by their centroid, so the same data gives the same ids whatever the row order.
A cluster's name comes from its most distinctive features: the centroid's largest
z-scores, e.g. "high completion, low recency".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# rows of the distance matrix computed at once (bounds memory: rows x k floats)
BLOCK = 1 << 16


@dataclass(frozen=True)
class Clustering:
    labels: np.ndarray  # cluster id per row, 0..k-1 (0 = the largest)
    centroids: np.ndarray  # k x features, in the (standardized) units given
    distances: np.ndarray  # per row, distance to its centroid
    inertia: float  # sum of squared distances
    iterations: int
    converged: bool


def standardize(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(z, means, stds): z-scores per column; a constant column gets std 1 (all zeros)."""
    x = np.asarray(x, dtype=np.float64)
    means = x.mean(axis=0) if len(x) else np.zeros(x.shape[1])
    stds = x.std(axis=0) if len(x) else np.ones(x.shape[1])
    stds = np.where(stds > 1e-12, stds, 1.0)
    return (x - means) / stds, means, stds


def _squared_distances(x: np.ndarray, centroids: np.ndarray, x_sq: np.ndarray | None = None) -> np.ndarray:
    """rows x k squared Euclidean distances, in blocks of rows (in x's float type); ``x_sq``
    is the rows' squared norms when the caller has them (Lloyd's loop computes them once)."""
    out = np.empty((len(x), len(centroids)), dtype=x.dtype)
    centroids = centroids.astype(x.dtype, copy=False)
    c_norm = (centroids**2).sum(axis=1)
    x_sq = (x**2).sum(axis=1) if x_sq is None else x_sq
    for lo in range(0, len(x), BLOCK):
        d = out[lo : lo + BLOCK]
        np.matmul(x[lo : lo + BLOCK], centroids.T, out=d)
        d *= -2.0
        d += x_sq[lo : lo + BLOCK, None]
        d += c_norm[None, :]
        np.maximum(d, 0.0, out=d)
    return out


def _plus_plus(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means++ seeding (Arthur & Vassilvitskii 2007): each next centre drawn with
    probability proportional to the squared distance to the nearest centre so far."""
    x_sq = (x**2).sum(axis=1)
    centres = [x[rng.integers(len(x))]]
    nearest = _squared_distances(x, np.array(centres), x_sq)[:, 0].astype(np.float64)
    for _ in range(1, k):
        total = nearest.sum()
        pick = rng.integers(len(x)) if total <= 0 else rng.choice(len(x), p=nearest / total)
        centres.append(x[pick])
        nearest = np.minimum(nearest, _squared_distances(x, x[pick][None, :], x_sq)[:, 0])
    return np.array(centres)


def kmeans(
    x: np.ndarray,
    k: int,
    seed: int = 42,
    max_iter: int = 100,
    tol: float = 1e-6,
    init: np.ndarray | None = None,
) -> Clustering:
    """Lloyd's k-means from a seeded k-means++ start, or from the centroids ``init`` (a warm
    start: k is then len(init)); an emptied cluster is re-seeded at the point farthest from
    its centre. k is capped at the number of distinct rows. float32 input is kept float32."""
    x = np.asarray(x)
    if x.dtype != np.float32:
        x = x.astype(np.float64)
    distinct = len(np.unique(x, axis=0)) if init is None and len(x) else 1
    k = len(init) if init is not None else max(1, min(k, distinct))
    if not len(x):
        return Clustering(np.zeros(0, dtype=np.int64), np.zeros((k, x.shape[1])), np.zeros(0), 0.0, 0, True)
    rng = np.random.default_rng(seed)
    centroids = _plus_plus(x, k, rng) if init is None else np.array(init, dtype=x.dtype)
    converged, iterations = False, 0
    x_sq = (x**2).sum(axis=1)
    for iterations in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        d = _squared_distances(x, centroids, x_sq)
        labels = d.argmin(axis=1)
        moved = _update(x, labels, d, centroids)
        if moved <= tol * (1.0 + np.abs(centroids).max()):
            converged = True
            break
    d = _squared_distances(x, centroids, x_sq)
    labels = d.argmin(axis=1)
    return _numbered(x, labels, centroids, d, iterations, converged)


def _update(x: np.ndarray, labels: np.ndarray, d: np.ndarray, centroids: np.ndarray) -> float:
    """Move each centroid to its members' mean (in place); returns the largest move."""
    k = len(centroids)
    counts = np.bincount(labels, minlength=k)
    # members' sums as one k x rows indicator matrix times the rows (BLAS), not np.add.at
    members = np.zeros((k, len(x)), dtype=x.dtype)
    members[labels, np.arange(len(x))] = 1.0
    sums = members @ x
    new = centroids.copy()
    filled = counts > 0
    new[filled] = sums[filled] / counts[filled, None]
    for empty in np.flatnonzero(~filled):
        far = d[np.arange(len(x)), labels].argmax()
        new[empty] = x[far]
        d[far] = 0.0
    moved = float(np.abs(new - centroids).max())
    centroids[:] = new
    return moved


def _numbered(x, labels, centroids, d, iterations, converged) -> Clustering:
    """Ids by size (largest first), ties by the centroid's coordinates."""
    k = len(centroids)
    counts = np.bincount(labels, minlength=k)
    order = np.lexsort((*centroids.T[::-1], -counts))
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(k)
    distances = np.sqrt(d[np.arange(len(x)), labels])
    return Clustering(rank[labels], centroids[order], distances, float((distances**2).sum()), iterations, converged)


def silhouette(x: np.ndarray, labels: np.ndarray, sample: int = 2000, seed: int = 42) -> float:
    """Mean silhouette, (b - a) / max(a, b), within a seeded sample of rows (all rows when
    fewer), so that its cost is bounded by the sample, not by the users."""
    x = np.asarray(x, dtype=np.float64)
    if len(np.unique(labels)) < 2:
        return 0.0
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(x), size=min(sample, len(x)), replace=False))
    x, labels = x[rows], labels[rows]
    d = np.sqrt(_squared_distances(x, x))
    ks = np.unique(labels)
    counts = np.bincount(labels, minlength=ks.max() + 1).astype(np.float64)
    sums = np.zeros((len(x), len(counts)))
    for c in ks:
        sums[:, c] = d[:, labels == c].sum(axis=1)
    own_count = counts[labels]
    a = np.where(own_count > 1, sums[np.arange(len(x)), labels] / np.maximum(own_count - 1, 1), 0.0)
    mean_other = sums / np.where(counts > 0, counts, np.inf)[None, :]
    mean_other[np.arange(len(x)), labels] = np.inf
    b = mean_other.min(axis=1)
    s = np.where((own_count > 1) & np.isfinite(b), (b - a) / np.maximum(np.maximum(a, b), 1e-300), 0.0)
    return float(s.mean())


def names(
    centroids: np.ndarray, features: list[str | tuple[str, str]], top: int = 2, threshold: float = 0.5
) -> list[str]:
    """A readable name per cluster from its centroid's largest z-scores: "high x, low y", or
    a feature's own words when given as (when high, when low), e.g. ("audio listeners",
    "few audio courses"); "average" when no feature stands out by ``threshold`` standard
    deviations. A name two clusters would share gets the cluster's id after it."""
    out = []
    for centre in centroids:
        order = np.argsort(-np.abs(centre), kind="stable")[:top]
        parts = [_words(features[j], centre[j] > 0) for j in order if abs(centre[j]) >= threshold]
        out.append(", ".join(parts) if parts else "average")
    seen = {name: out.count(name) for name in out}
    return [f"{name} ({i})" if seen[name] > 1 else name for i, name in enumerate(out)]


def _words(feature: str | tuple[str, str], high: bool) -> str:
    if isinstance(feature, tuple):
        return feature[0] if high else feature[1]
    return f"{'high' if high else 'low'} {feature}"


@dataclass(frozen=True)
class Fit:
    """A clustering of every row, with how its k was chosen and how good it is."""

    clustering: Clustering
    k_scores: dict[int, float]  # silhouette of each k tried on the sample (empty when k was pinned)
    silhouette: float  # of the final clustering, on a seeded sample of rows
    baseline: float  # of the same k on the sample with each column shuffled on its own (no structure)
    sample_rows: int


def fit(
    z: np.ndarray,
    k_min: int,
    k_max: int,
    k: int | None = None,
    seed: int = 42,
    sample_rows: int = 20000,
    silhouette_rows: int = 2000,
    full_iter: int = 50,
    n_init: int = 3,
) -> Fit:
    """Cluster the standardized rows ``z``: k chosen by silhouette on a seeded sample of at
    most ``sample_rows`` rows (or pinned by ``k``), fitted there from the best of ``n_init``
    k-means++ starts, then
    on every row warm-started from the sample's centroids for at most ``full_iter`` Lloyd
    steps in float32 (z-scores need no more precision), so the cost of the full fit grows
    with the rows by a few passes only. The baseline silhouette is that of the same k on the
    sample with every column shuffled on its own: what k-means finds where there is no group."""
    z = np.asarray(z, dtype=np.float64)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(len(z), size=min(sample_rows, len(z)), replace=False)) if len(z) else np.zeros(0, int)
    part = z[rows].astype(np.float32)  # z-scores: float32 is precise enough, and twice as fast
    fits = {}
    scores: dict[int, float] = {}
    for candidate in [k] if k is not None else range(k_min, k_max + 1):
        # the best of a few seeded starts: one k-means++ start can settle in a poor optimum
        tries = [kmeans(part, candidate, seed + i) for i in range(n_init)]
        fits[candidate] = min(tries, key=lambda t: t.inertia)
        if k is None:
            scores[candidate] = silhouette(part, fits[candidate].labels, silhouette_rows, seed)
    best = k if k is not None else max(scores, key=lambda c: (round(scores[c], 12), -c))
    start = fits[best].centroids
    full = kmeans(z.astype(np.float32), len(start), seed, max_iter=full_iter, init=start.astype(np.float32))
    shuffled = np.column_stack([rng.permutation(col) for col in part.T]) if len(part) else part
    baseline = silhouette(shuffled, kmeans(shuffled, len(start), seed).labels, silhouette_rows, seed)
    return Fit(full, scores, silhouette(z, full.labels, silhouette_rows, seed), baseline, len(rows))


def adjusted_rand_index(truth: np.ndarray, labels: np.ndarray) -> float:
    """Hubert & Arabie's adjusted Rand index of two labellings (1: identical up to names)."""
    _, t = np.unique(truth, return_inverse=True)
    _, p = np.unique(labels, return_inverse=True)
    table = np.zeros((t.max() + 1, p.max() + 1))
    np.add.at(table, (t, p), 1)

    def pairs(v):
        return (v * (v - 1) / 2).sum()

    index = pairs(table)
    rows, cols, n = pairs(table.sum(axis=1)), pairs(table.sum(axis=0)), pairs(np.array([len(t)]))
    expected = rows * cols / n if n else 0.0
    top = (rows + cols) / 2 - expected
    return float((index - expected) / top) if top else 1.0
