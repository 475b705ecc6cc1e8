"""Top-k course recommendations for every user, scored in numpy blocks of users.

The scoring that ``user_recommendations`` publishes, as one vectorized pass over user
batches instead of a join that expands every history course into its neighbours: a
``(batch x courses) @ (courses x courses)`` matrix product per batch. For user u and
course j, with w(u, i) the user's normalised affinity over their history courses i
(``int_recommendation_history_weighted``):

    cf(u, j)      = sum_i w(u, i) * sim(i, j)              (sim = int_course_neighbors_fitted)
    content(u, j) = sum_i w(u, i) * content_cosine(i, j)   (int_course_pairs_content_scored)
    score(u, j)   = blend(cf, content, popularity(j))      (the formula of `blend` below)

Every available course the user has not taken is a candidate. Ties break by the fill
rank (the user's segment favourites, then overall popularity), then by course key, so
the output is deterministic. The reason of a recommendation is the history course with
the largest term in the sum (ties: the lowest course key).

Batches are independent, so ``workers`` threads score them side by side: numpy releases
the GIL in the matrix products, partitions and sorts that make up most of the work. The
output does not depend on the number of workers.

Memory is bounded by the batches in flight (about ``2**20`` cells per matrix, one batch
per worker) plus the two similarity matrices: dense ``courses x courses`` arrays up to var
rec_dense_max_courses (5,000 courses is 200 MB each), and above it ``item_models.Sparse``
rows of each course's strongest neighbours, multiplied entry by entry, with the same
scores wherever both hold the same neighbours.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

BATCH_CELLS = 2**20
OUTPUT_DTYPES = {
    "user": np.int64,
    "rank": np.int64,
    "course": np.int64,
    "score": np.float64,
    "cf_score": np.float64,
    "content_score": np.float64,
    "popularity_score": np.float64,
    "cf_source": np.int64,
    "content_source": np.int64,
    "segment_fill": bool,
}


def blend(
    cf: np.ndarray, content: np.ndarray, popularity: np.ndarray, w_cf: float, w_content: float, w_pop: float
) -> np.ndarray:
    """score = w_cf * cf / (1 + |cf|) + w_content * content + w_pop * popularity.

    The collaborative score is unbounded (and signed for EASE), so it is squashed before
    blending, keeping its order and sign: one heavy user cannot swamp content and
    popularity. Inputs must be finite.
    """
    # in place on one new array, without a temporary per operator on a whole user batch
    score = np.abs(cf)
    score += 1.0
    np.divide(cf, score, out=score)
    score *= w_cf
    if w_content:
        score += w_content * content
    if w_pop:
        score += w_pop * popularity
    return score


@dataclass(frozen=True)
class Catalog:
    """Per-course inputs, indexed 0..n-1 (the caller maps course keys to positions)."""

    course_keys: np.ndarray  # int64, ascending (ties break by key)
    available: np.ndarray  # bool: published at as-of
    popularity: np.ndarray  # float64 in 0..1 (0 for courses nobody engaged with)
    cf_similarity: np.ndarray  # float64 n x n, 0 where there is no neighbour (or item_models.Sparse)
    content_similarity: np.ndarray  # float64 n x n (or item_models.Sparse)
    fill_rank: np.ndarray  # float64 (segments + 1) x n; the last row is "no segment"
    fill_from_segment: np.ndarray  # bool, same shape: the rank came from the segment


def dense_similarity(src: np.ndarray, dst: np.ndarray, value: np.ndarray, n: int) -> np.ndarray:
    """An n x n matrix from (src, dst, value) triples of course positions; 0 elsewhere."""
    matrix = np.zeros((n, n))
    matrix[np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)] = np.asarray(value, dtype=np.float64)
    return matrix


def fill_ranks(
    n: int, segments: int, segment: np.ndarray, course: np.ndarray, rank: np.ndarray, overall: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Fill rank per (segment, course): the segment's own rank, else the overall one, else inf.

    ``segment``/``course``/``rank``: the segment favourites (segment position, course
    position, rank); ``overall``: per course, the overall fill rank (inf when none).
    Returns the ``(segments + 1) x n`` rank matrix and whether each rank came from the
    segment. The last row ("no segment") holds the overall ranks only.
    """
    ranks = np.tile(np.asarray(overall, dtype=np.float64), (segments + 1, 1))
    from_segment = np.zeros((segments + 1, n), dtype=bool)
    seg_rank = np.full((segments + 1, n), np.inf)
    seg_rank[np.asarray(segment, dtype=np.int64), np.asarray(course, dtype=np.int64)] = rank
    better = seg_rank < ranks
    ranks[better] = seg_rank[better]
    from_segment[better] = True
    return ranks, from_segment


def top_k(
    catalog: Catalog,
    user_segment: np.ndarray,
    history_user: np.ndarray,
    history_course: np.ndarray,
    history_weight: np.ndarray,
    taken_user: np.ndarray,
    taken_course: np.ndarray,
    *,
    k: int,
    w_cf: float,
    w_content: float,
    w_pop: float,
    workers: int = 1,
) -> dict[str, np.ndarray]:
    """The top k courses of every user, best first.

    Users are positions 0..U-1 (``user_segment[u]`` is the user's segment position, -1
    when none); history and taken rows are (user position, course position) pairs, the
    history carrying the normalised affinity weight. Returns parallel arrays, sorted by
    user then rank: ``user``, ``rank`` (1-based), ``course``, ``score``, ``cf_score``,
    ``content_score``, ``popularity_score``, ``cf_source`` and ``content_source`` (course
    positions, -1 when that signal is 0) and ``segment_fill``. ``workers``: threads scoring
    user batches side by side.
    """
    if k < 1:
        raise ValueError(f"k (var rec_k) must be at least 1, got {k}")
    n = len(catalog.course_keys)
    users = len(user_segment)
    batch = max(1, BATCH_CELLS // max(n, 1))
    segment_row = np.where(np.asarray(user_segment) < 0, catalog.fill_rank.shape[0] - 1, user_segment)
    h_user, h_course, h_weight = history_user, history_course, history_weight
    if not _ascending(h_user, h_course):
        h_order = np.lexsort((history_course, history_user))
        h_user, h_course, h_weight = history_user[h_order], history_course[h_order], history_weight[h_order]
    t_order = np.argsort(taken_user, kind="stable")
    t_user, t_course = taken_user[t_order], taken_course[t_order]
    blocked = ~np.asarray(catalog.available, dtype=bool)

    def scored(lo: int) -> dict[str, np.ndarray]:
        hi = min(users, lo + batch)
        h_lo, h_hi = np.searchsorted(h_user, [lo, hi])
        entries = (h_user[h_lo:h_hi] - lo, h_course[h_lo:h_hi], h_weight[h_lo:h_hi])
        sims = (catalog.cf_similarity, catalog.content_similarity)
        weights = None
        if any(isinstance(sim, np.ndarray) for sim in sims):  # one dense batch for both products
            weights = np.zeros((hi - lo, n))
            weights[entries[0], entries[1]] = entries[2]
        cf, content = (weights @ sim if isinstance(sim, np.ndarray) else sim.times(*entries, hi - lo) for sim in sims)
        score = blend(cf, content, catalog.popularity[None, :], w_cf, w_content, w_pop)
        score[:, blocked] = -np.inf
        t_lo, t_hi = np.searchsorted(t_user, [lo, hi])
        score[t_user[t_lo:t_hi] - lo, t_course[t_lo:t_hi]] = -np.inf
        fill = catalog.fill_rank[segment_row[lo:hi]]
        row, col, rank = _ranked(score, fill, catalog.course_keys, k)
        cf_top, content_top = cf[row, col], content[row, col]
        cf_source, content_source = _strongest_sources(
            h_user[h_lo:h_hi] - lo,
            h_course[h_lo:h_hi],
            h_weight[h_lo:h_hi],
            (catalog.cf_similarity, catalog.content_similarity),
            row,
            col,
        )
        return {
            "user": row + lo,
            "rank": rank,
            "course": col,
            "score": score[row, col],
            "cf_score": cf_top,
            "content_score": content_top,
            "popularity_score": catalog.popularity[col],
            "cf_source": cf_source,
            "content_source": content_source,
            "segment_fill": catalog.fill_from_segment[segment_row[row + lo], col],
        }

    starts = range(0, users if n else 0, batch)
    if workers > 1 and len(starts) > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(scored, starts))
    else:
        parts = [scored(lo) for lo in starts]
    if not parts:
        return {name: np.zeros(0, dtype=dtype) for name, dtype in OUTPUT_DTYPES.items()}
    return {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}


def _ascending(major: np.ndarray, minor: np.ndarray) -> bool:
    """Whether the (major, minor) pairs are already in ascending order: a caller that reads
    them sorted (DuckDB sorts on both cores) saves the kernel a lexsort, far dearer than this check."""
    if len(major) < 2:
        return True
    step = np.diff(major)
    return bool(np.all((step > 0) | ((step == 0) & (np.diff(minor) >= 0))))


def _ranked(
    score: np.ndarray, fill: np.ndarray, course_keys: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, column, rank) of each row's k best finite scores: score desc, fill rank, key.

    Everything tied with the k-th best score is sorted in full, so a tie at the cut is
    broken by the rule and never by the partition's arbitrary order.

    The candidates come row by row. Most rows have exactly k (no tie at the cut, enough
    candidates left): those are sorted as one (rows x k) array, each row on its own, and
    only the other rows go through a flat sort keyed by row first, which sorting every
    candidate that way would cost far more.
    """
    n = score.shape[1]
    kk = min(k, n)
    threshold = np.partition(score, n - kk, axis=1)[:, n - kk]
    cell = np.flatnonzero(score >= threshold[:, None])  # flat (row, col), read with 1-d takes
    value = score.ravel()[cell]
    finite = np.isfinite(value)  # -inf (taken, unavailable) only passes when under k remain
    cell, value = cell[finite], value[finite]
    row, col = np.divmod(cell, n)
    keys = (course_keys[col], fill.ravel()[cell], -value)  # np.lexsort: the last key sorts first
    regular = np.bincount(row, minlength=score.shape[0])[row] == kk
    order = np.empty(len(row), dtype=np.intp)
    at = np.flatnonzero(regular).reshape(-1, kk)  # one line per row: that row's candidates
    within = np.lexsort(tuple(key[at] for key in keys), axis=-1)
    order[at] = np.take_along_axis(at, within, axis=1)
    at = np.flatnonzero(~regular)  # whole rows, ascending: sorting by row first keeps each in place
    order[at] = at[np.lexsort((*(key[at] for key in keys), row[at]))]
    row, col = row[order], col[order]
    starts = np.flatnonzero(np.r_[True, row[1:] != row[:-1]])
    rank = np.arange(len(row)) - np.repeat(starts, np.diff(np.r_[starts, len(row)])) + 1
    keep = rank <= k
    return row[keep], col[keep], rank[keep]


def _strongest_sources(
    h_user: np.ndarray,
    h_course: np.ndarray,
    h_weight: np.ndarray,
    similarities: tuple[np.ndarray, ...],
    row: np.ndarray,
    col: np.ndarray,
) -> list[np.ndarray]:
    """Per (row, col) pick and per similarity: the history course i of the row's user with the
    largest h_weight * sim[i, col] (ties: the lowest course position); -1 when no term is > 0.

    Works on the history lists (a user has a handful of courses), not on dense rows: the
    picks are expanded over their user's history entries and reduced per pick. Each
    similarity is read in place with one flat take (no per-batch copy of an n x n matrix).
    ``h_user`` (batch-local user positions) must be sorted, courses ascending within a user.
    """
    n = len(similarities[0]) if isinstance(similarities[0], np.ndarray) else similarities[0].n
    starts = np.searchsorted(h_user, row, side="left")
    lens = np.searchsorted(h_user, row, side="right") - starts
    offsets = np.cumsum(lens) - lens
    position = np.arange(lens.sum())  # of each (pick, history entry) pair
    entry = np.repeat(starts - offsets, lens) + position
    sources = [np.full(len(row), -1, dtype=np.int64) for _ in similarities]
    if not len(entry):
        return sources
    has = np.flatnonzero(lens > 0)
    bounds, counts = offsets[has], lens[has]  # the picks with history: where each one's entries start
    course = h_course[entry]
    weight = h_weight[entry]
    cell = course * n + np.repeat(col, lens)  # flat (history course, pick course)
    for sim, out in zip(similarities, sources, strict=True):
        # one similarity at a time, in 1-d arrays: a stacked (entries x 2) array and a 2-d
        # reduceat were slower
        terms = sim.ravel().take(cell) if isinstance(sim, np.ndarray) else sim.take(cell)
        terms *= weight
        top = np.maximum.reduceat(terms, bounds)
        # the first entry reaching the top: courses ascend within a pick, so the lowest course
        at = np.where(terms == np.repeat(top, counts), position, len(entry))
        out[has] = np.where(top > 0, course[np.minimum.reduceat(at, bounds)], -1)
    return sources
