"""Item-item recommenders in numpy: co-occurrence, the similarities built on it, and top-k scoring.

A user's row x_u holds their affinity for each course (0 where none); the binary row h_u
marks the courses with positive affinity. With the co-occurrence C = sum_u h_u h_u' (C_ii:
users of course i) every model here is an n x n matrix S, and a user's scores are x_u S:

    cosine     C_ij / sqrt(C_ii C_jj)
    jaccard    C_ij / (C_ii + C_jj - C_ij)             (SAR's default)
    lift       U C_ij / (C_ii C_jj)
    rp3beta    (sum_u h_ui h_uj / |h_u|) / C_ii / C_jj^beta   (Paudel et al. 2016, alpha = 1)
    ease       B = -P / diag(P), P = (C + lambda I)^-1, diag(B) = 0   (Steck 2019; signed)

The diagonal of every S is 0: a course never recommends itself. Nothing is truncated here;
a caller that must bound memory keeps each course's strongest neighbours and says so.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

KINDS = ("cosine", "jaccard", "lift", "rp3beta", "ease")
# pairs (user, course, course) expanded per chunk of users when counting co-occurrence
PAIR_CHUNK = 1 << 23
# cells (users x courses) of one batch of held-out users scored at once
HOLDOUT_BATCH_CELLS = 1 << 22


@dataclass(frozen=True)
class Interactions:
    """Users' rows in compressed form: user u's courses are ``courses[indptr[u]:indptr[u+1]]``
    (ascending), with ``weights`` (affinity) beside them; ``n`` courses in all."""

    indptr: np.ndarray
    courses: np.ndarray
    weights: np.ndarray
    n: int

    @classmethod
    def from_pairs(cls, user: np.ndarray, course: np.ndarray, weight: np.ndarray, users: int, n: int):
        """From (user position, course position, weight) triples; duplicates are summed."""
        user = np.asarray(user, dtype=np.int64)
        course = np.asarray(course, dtype=np.int64)
        cell, inverse = np.unique(user * n + course, return_inverse=True)
        summed = np.bincount(inverse, weights=np.asarray(weight, dtype=np.float64), minlength=len(cell))
        rows, cols = np.divmod(cell, n)
        indptr = np.searchsorted(rows, np.arange(users + 1))
        return cls(indptr, cols, summed, n)

    @classmethod
    def from_keys(cls, user_key: np.ndarray, course_key: np.ndarray, weight: np.ndarray, course_keys: np.ndarray):
        """From rows keyed by warehouse keys (``course_keys``: the catalog's, ascending)."""
        users, user_pos = np.unique(np.asarray(user_key, dtype=np.int64), return_inverse=True)
        course_pos = np.searchsorted(course_keys, np.asarray(course_key, dtype=np.int64))
        return cls.from_pairs(user_pos, course_pos, weight, len(users), len(course_keys))

    @property
    def users(self) -> int:
        return len(self.indptr) - 1

    def dense(self, users: np.ndarray) -> np.ndarray:
        """The rows of ``users`` (positions) as a dense (len(users) x n) matrix."""
        out = np.zeros((len(users), self.n))
        lo, hi = self.indptr[users], self.indptr[users + 1]
        lens = hi - lo
        row = np.repeat(np.arange(len(users)), lens)
        at = np.repeat(lo - np.cumsum(lens) + lens, lens) + np.arange(lens.sum())
        out[row, self.courses[at]] = self.weights[at]
        return out


def cooccurrence(data: Interactions, per_user: np.ndarray | None = None) -> np.ndarray:
    """C = sum_u w_u h_u h_u' over the binary rows (positive weights), w_u = ``per_user`` or 1."""
    n = data.n
    total = np.zeros(n * n)
    for cells, weights in _pair_chunks(data, per_user):
        total += np.bincount(cells, weights=weights, minlength=n * n)
    return total.reshape(n, n)


def _pair_chunks(data: Interactions, per_user: np.ndarray | None):
    """The (course i, course j) pairs of every user's positive courses, as flat cells i * n + j
    (and each pair's ``per_user`` weight, or None), in chunks of about PAIR_CHUNK pairs."""
    n = data.n
    positive = data.weights > 0
    owner = np.repeat(np.arange(data.users), np.diff(data.indptr))[positive]
    courses = data.courses[positive]
    counts = np.bincount(owner, minlength=data.users)
    starts = np.r_[0, np.cumsum(counts)]
    cells, weights, pending = [], [], 0
    # users of one degree d at a time: their course lists are an (m x d) matrix, and their
    # pairs its (m x d x d) outer sum
    for d in np.unique(counts[counts > 0]):
        group = np.flatnonzero(counts == d)
        step = max(1, PAIR_CHUNK // (d * d))
        for lo in range(0, len(group), step):
            users = group[lo : lo + step]
            lists = courses[starts[users][:, None] + np.arange(d)[None, :]]
            cells.append((lists[:, :, None] * n + lists[:, None, :]).ravel())
            if per_user is not None:
                weights.append(np.repeat(per_user[users], d * d))
            pending += len(users) * d * d
            if pending >= PAIR_CHUNK:
                yield np.concatenate(cells), (np.concatenate(weights) if weights else None)
                cells, weights, pending = [], [], 0
    if cells:
        yield np.concatenate(cells), (np.concatenate(weights) if weights else None)


@dataclass(frozen=True)
class Sparse:
    """An n x n matrix row by row, for catalogs too large for a dense one: row i's non-zero
    columns are ``cols[indptr[i]:indptr[i+1]]`` (ascending) with ``values`` beside them."""

    indptr: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    n: int

    @classmethod
    def from_cells(cls, cell: np.ndarray, value: np.ndarray, n: int) -> Sparse:
        """From flat cells i * n + j (each at most once, any order) and their values."""
        cell = np.asarray(cell, dtype=np.int64)
        order = np.argsort(cell, kind="stable")
        rows, cols = np.divmod(cell[order], n)
        indptr = np.searchsorted(rows, np.arange(n + 1))
        return cls(indptr, cols, np.asarray(value, dtype=np.float64)[order], n)

    @classmethod
    def from_triples(cls, src: np.ndarray, dst: np.ndarray, value: np.ndarray, n: int) -> Sparse:
        return cls.from_cells(np.asarray(src, dtype=np.int64) * n + np.asarray(dst, dtype=np.int64), value, n)

    @property
    def rows(self) -> np.ndarray:
        return np.repeat(np.arange(self.n), np.diff(self.indptr))

    @functools.cached_property
    def cells(self) -> np.ndarray:
        """The flat cells i * n + j of the non-zero values, ascending."""
        return self.rows * self.n + self.cols

    def take(self, cell: np.ndarray) -> np.ndarray:
        """The values at flat cells i * n + j (0 where there is none), as ``dense.ravel().take``."""
        keys = self.cells
        at = np.minimum(np.searchsorted(keys, cell), max(len(keys) - 1, 0))
        found = keys[at] == cell if len(keys) else np.zeros(len(cell), dtype=bool)
        return np.where(found, self.values[at] if len(keys) else 0.0, 0.0)

    def times(self, row: np.ndarray, course: np.ndarray, weight: np.ndarray, rows: int) -> np.ndarray:
        """The dense (rows x n) product X S, X given by its entries (row, course, weight)."""
        row, course = np.asarray(row, dtype=np.int64), np.asarray(course, dtype=np.int64)
        lo = self.indptr[course]
        lens = self.indptr[course + 1] - lo
        at = np.repeat(lo - np.cumsum(lens) + lens, lens) + np.arange(lens.sum())
        cell = np.repeat(row, lens) * self.n + self.cols[at]
        terms = np.repeat(np.asarray(weight, dtype=np.float64), lens) * self.values[at]
        out = np.bincount(cell, weights=terms, minlength=rows * self.n)
        return out.astype(np.float64, copy=False).reshape(rows, self.n)

    def top_n(self, keep: int) -> Sparse:
        """Each row's ``keep`` largest values by magnitude (ties: the lower column)."""
        rows = self.rows
        order = np.lexsort((self.cols, -np.abs(self.values), rows))
        rank = np.arange(len(order)) - self.indptr[rows]  # sorted by row: row starts are indptr
        kept = np.sort(order[rank < keep])
        return Sparse.from_cells(self.cells[kept], self.values[kept], self.n)

    def dense(self) -> np.ndarray:
        out = np.zeros(self.n * self.n)
        out[self.cells] = self.values
        return out.reshape(self.n, self.n)


def product(rows: np.ndarray, s: np.ndarray | Sparse) -> np.ndarray:
    """rows @ s for a dense or a sparse s."""
    if isinstance(s, Sparse):
        r, c = np.nonzero(rows)
        return s.times(r, c, rows[r, c], rows.shape[0])
    return rows @ s


def cooccurrence_sparse(data: Interactions, per_user: np.ndarray | None = None) -> Sparse:
    """The non-zero cells of ``cooccurrence(data, per_user)``, without an n x n array."""
    keys, sums = [], []
    for cells, weights in _pair_chunks(data, per_user):
        unique, inverse = np.unique(cells, return_inverse=True)
        keys.append(unique)
        sums.append(np.bincount(inverse, weights=weights, minlength=len(unique)))
    if not keys:
        return Sparse.from_cells(np.zeros(0, dtype=np.int64), np.zeros(0), data.n)
    unique, inverse = np.unique(np.concatenate(keys), return_inverse=True)
    return Sparse.from_cells(unique, np.bincount(inverse, weights=np.concatenate(sums), minlength=len(unique)), data.n)


def fit_sparse(
    candidate: Candidate, data: Interactions, keep: int, c: Sparse | None = None
) -> tuple[Sparse, np.ndarray]:
    """The candidate's similarity with each course's ``keep`` strongest neighbours, built from
    the non-zero co-occurrences only (the same values as ``fit``'s where it keeps them), and
    each course's count of non-zero weights before the cut. EASE needs the dense inverse
    first (the caller keeps n within var ease_max_courses), then is cut the same way.
    ``c``: ``cooccurrence_sparse(data)``, when known."""
    if candidate.kind == "popularity":
        return Sparse.from_cells(np.zeros(0, dtype=np.int64), np.zeros(0), data.n), np.zeros(data.n, dtype=np.int64)
    if candidate.kind == "ease":
        # a dense inverse of the whole catalog (var ease_max_courses bounds n), then cut
        b = ease(cooccurrence_sparse(data).dense() if c is None else c.dense(), candidate.parameter)
        cells = np.flatnonzero(b)
        whole = Sparse.from_cells(cells, b.ravel()[cells], data.n)
        return whole.top_n(keep), np.diff(whole.indptr)
    d = course_users(data)
    if candidate.kind == "rp3beta":
        degree = np.diff(data.indptr).astype(np.float64)
        c = cooccurrence_sparse(data, 1.0 / np.maximum(degree, 1.0))
        value = _pairwise("rp3beta", None, d[c.rows], d[c.cols], data.users, candidate.parameter, c.values)
    else:
        c = cooccurrence_sparse(data) if c is None else c
        value = _pairwise(candidate.kind, c.values, d[c.rows], d[c.cols], data.users, candidate.parameter, None)
    keep_cell = (value != 0) & (c.rows != c.cols)
    whole = Sparse.from_cells(c.cells[keep_cell], value[keep_cell], data.n)
    return whole.top_n(keep), np.diff(whole.indptr)


def similarity(
    kind: str,
    c: np.ndarray,
    *,
    users: int = 0,
    ease_l2: float = 0.0,
    beta: float = 0.5,
    c_user_normalized: np.ndarray | None = None,
) -> np.ndarray:
    """The n x n item-item matrix of ``kind`` (see the module docstring), diagonal 0."""
    if kind == "ease":
        return ease(c, ease_l2)
    d = np.diag(c).copy()
    s = _pairwise(kind, c, d[:, None], d[None, :], users, beta, c_user_normalized)
    np.fill_diagonal(s, 0.0)
    return s


def _pairwise(kind, c, d_i, d_j, users, beta, c_user_normalized):
    """The element-wise formulas, shared by the dense matrix and the sparse pairs."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "cosine":
            s = c / np.sqrt(d_i * d_j)
        elif kind == "jaccard":
            s = c / (d_i + d_j - c)
        elif kind == "lift":
            s = users * c / (d_i * d_j)
        elif kind == "rp3beta":
            if c_user_normalized is None:
                raise ValueError("rp3beta needs the co-occurrence weighted by 1 / user degree")
            s = c_user_normalized / d_i / np.power(d_j, beta)
        else:
            raise ValueError(f"unknown similarity {kind!r}; expected one of {', '.join(KINDS)}")
    return np.nan_to_num(s, nan=0.0, posinf=0.0, neginf=0.0)


def ease(c: np.ndarray, l2: float) -> np.ndarray:
    """EASE's B from the Gram matrix C = X'X: signed weights, diagonal 0."""
    n = len(c)
    if n == 0:
        return np.zeros((0, 0))
    p = np.linalg.inv(c + l2 * np.eye(n))
    b = -p / np.diag(p)[None, :]
    np.fill_diagonal(b, 0.0)
    return b


def top_k_scores(
    rows: np.ndarray, s: np.ndarray, exclude: np.ndarray, k: int, prior: np.ndarray | None = None
) -> np.ndarray:
    """Per row of ``rows`` (users x n), the k best courses of rows @ s (best first), skipping
    ``exclude`` (bool, same shape); ties go to the higher ``prior``, then the lower position."""
    return top_k(product(rows, s), exclude, k, prior)


def top_k(scores: np.ndarray, exclude: np.ndarray, k: int, prior: np.ndarray | None = None) -> np.ndarray:
    """Positions of each row's k best scores (best first; -1 pads rows with fewer candidates);
    ties go to the higher ``prior``, then the lower position - exactly, at any magnitude.

    A full sort of every row costs far more than the k it keeps, and np.partition slows on
    many equal scores: so the cut is found on the scores nudged apart by less than a
    billionth of their scale (in tie-rule order), and every score within that of the cut
    is then sorted exactly by (score, prior, position).
    """
    scores = np.where(exclude, -np.inf, scores)
    rows, n = scores.shape
    kk = min(k, n)
    out = np.full((rows, kk), -1, dtype=np.int64)
    if kk == 0 or rows == 0:
        return out
    prior = np.zeros(n) if prior is None else np.asarray(prior, dtype=np.float64)
    finite = np.isfinite(scores)
    width = 1e-9 * max(1.0, float(np.abs(np.where(finite, scores, 0.0)).max(initial=0.0)))
    tie = np.empty(n)
    tie[np.lexsort((np.arange(n), -prior))] = np.arange(n)  # 0: the course ties favour most
    keyed = np.where(finite, scores + (n - tie) * (width / n), -np.inf)
    cut = np.partition(keyed, n - kk, axis=1)[:, n - kk] - 2 * width
    row, col = np.nonzero(finite & (scores >= cut[:, None]))
    order = np.lexsort((col, -prior[col], -scores[row, col], row))
    row, col = row[order], col[order]
    rank = np.arange(len(row)) - np.searchsorted(row, row)
    kept = rank < kk
    out[row[kept], rank[kept]] = col[kept]
    return out


def ranking_metrics(top: np.ndarray, relevant: list[np.ndarray], k: int) -> dict[str, float]:
    """Mean nDCG@k, MAP@k and recall@k over users (binary relevance), and catalog coverage
    (distinct courses recommended) - as recommendation_evaluation defines them."""
    top = np.asarray(top)[:, :k]
    if not len(top):
        return {"ndcg": 0.0, "map": 0.0, "recall": 0.0, "coverage": 0.0}
    counts = np.array([len(r) for r in relevant])
    owner = np.repeat(np.arange(len(relevant)), counts)
    flat = np.concatenate(relevant) if counts.sum() else np.zeros(0, dtype=np.int64)
    # (user, course) pairs as one sorted key: a pick is a hit when its key is among them
    n = int(max(top.max(initial=0), flat.max(initial=0))) + 1
    wanted = np.sort(owner * n + flat)
    keys = np.arange(len(top))[:, None] * n + np.maximum(top, 0)
    at = np.minimum(np.searchsorted(wanted, keys), max(len(wanted) - 1, 0))
    hit = (top >= 0) & (wanted[at] == keys) if len(wanted) else np.zeros(top.shape, dtype=bool)
    discount = 1.0 / np.log2(np.arange(2, top.shape[1] + 2))
    ideal = np.cumsum(discount)[np.clip(np.minimum(counts, top.shape[1]) - 1, 0, None)]
    has = counts > 0
    dcg = (hit * discount).sum(axis=1)
    precision_at = np.cumsum(hit, axis=1) / np.arange(1, top.shape[1] + 1)
    ap = np.where(has, (precision_at * hit).sum(axis=1) / np.maximum(counts, 1), 0.0)
    return {
        "ndcg": float(np.mean(np.where(has, dcg / ideal, 0.0))),
        "map": float(np.mean(ap)),
        "recall": float(np.mean(np.where(has, hit.sum(axis=1) / np.maximum(counts, 1), 0.0))),
        "coverage": float(len(np.unique(top[top >= 0]))),
    }


@dataclass(frozen=True)
class Candidate:
    """One recommender the build can choose: an item model and the blend it is scored with."""

    name: str
    kind: str  # one of KINDS, or "popularity"
    parameter: float = 0.0  # EASE's lambda, RP3beta's beta
    w_cf: float = 1.0
    w_content: float = 0.0
    w_pop: float = 0.0

    def parameters(self) -> str:
        knob = {"ease": f"lambda={self.parameter:g}, ", "rp3beta": f"beta={self.parameter:g}, "}.get(self.kind, "")
        return f"{knob}w_cf={self.w_cf:g}, w_content={self.w_content:g}, w_popularity={self.w_pop:g}"


def fit(candidate: Candidate, data: Interactions, c: np.ndarray | None = None) -> np.ndarray:
    """The candidate's n x n similarity on ``data`` (``c``: its co-occurrence, when known)."""
    if candidate.kind == "popularity":
        return np.zeros((data.n, data.n))
    c = cooccurrence(data) if c is None else c
    normalized = None
    if candidate.kind == "rp3beta":
        degree = np.diff(data.indptr).astype(np.float64)
        normalized = cooccurrence(data, 1.0 / np.maximum(degree, 1.0))
    return similarity(
        candidate.kind,
        c,
        users=data.users,
        ease_l2=candidate.parameter,
        beta=candidate.parameter,
        c_user_normalized=normalized,
    )


def course_users(data: Interactions) -> np.ndarray:
    """Users with positive affinity per course: the diagonal of the co-occurrence."""
    return np.bincount(data.courses[data.weights > 0], minlength=data.n).astype(np.float64)


def candidates(users_per_course: np.ndarray, has_content: bool, rp3beta_beta: float) -> list[Candidate]:
    """The recommenders `rec_similarity: auto` compares: each item model pure, EASE at three
    penalties scaled to the data (1, 4 and 16 times the mean course's users), the content
    and popularity blends on top of each item model when there is content, and popularity."""
    mean_users = float(np.mean(users_per_course)) if len(users_per_course) else 1.0
    pure = [Candidate(kind, kind) for kind in ("cosine", "jaccard", "lift")]
    pure.append(Candidate(f"rp3beta(beta={rp3beta_beta:g})", "rp3beta", rp3beta_beta))
    for factor in (1, 4, 16):
        lam = max(1.0, round(factor * mean_users, 1))
        pure.append(Candidate(f"ease(lambda={lam:g})", "ease", lam))
    found = list(pure)
    if has_content:
        for base in pure:
            for w_content, w_pop in ((0.3, 0.2), (0.1, 0.05)):
                name = f"{base.name}+content({w_content:g})+popularity({w_pop:g})"
                found.append(Candidate(name, base.kind, base.parameter, 1.0, w_content, w_pop))
    # last, so that a tie (the holdout cannot tell them apart) goes to an item model, which
    # ranks by popularity wherever it knows nothing and by co-engagement where it does
    found.append(Candidate("popularity", "popularity", w_cf=0.0, w_pop=1.0))
    return found


@dataclass(frozen=True)
class Holdout:
    """Training rows without each sampled user's latest taken courses, and what was held out."""

    train: Interactions
    users: np.ndarray  # sampled user positions
    held_out: list[np.ndarray]  # per sampled user, the held-out course positions


def latest_holdout(
    data: Interactions, taken: np.ndarray, last_seen: np.ndarray, sample: int, seed: int, share: float = 0.2
) -> Holdout:
    """Hold out the latest ceil(share) of the taken courses (``taken``/``last_seen`` are parallel
    to ``data.courses``) of a seeded sample of up to ``sample`` users with at least two."""
    owner = np.repeat(np.arange(data.users), np.diff(data.indptr))
    taken_count = np.bincount(owner[taken], minlength=data.users)
    eligible = np.flatnonzero(taken_count >= 2)
    rng = np.random.default_rng(seed)
    users = np.sort(rng.choice(eligible, size=min(sample, len(eligible)), replace=False))
    # courses last seen at the same instant are held out in a seeded random order, never by
    # position (which would hold out the same courses for every user)
    tie_break = rng.random(len(data.courses))
    drop = np.zeros(len(data.courses), dtype=bool)
    held = []
    for u in users:
        lo, hi = data.indptr[u], data.indptr[u + 1]
        mine = lo + np.flatnonzero(taken[lo:hi])
        k = int(np.ceil(share * len(mine)))
        latest = mine[np.lexsort((tie_break[mine], last_seen[mine]))[-k:]]
        drop[latest] = True
        held.append(np.sort(data.courses[latest]))
    keep = ~drop
    kept_owner = owner[keep]
    indptr = np.searchsorted(kept_owner, np.arange(data.users + 1))
    train = Interactions(indptr, data.courses[keep], data.weights[keep], data.n)
    return Holdout(train, users, held)


def popularity(data: Interactions) -> np.ndarray:
    """Each course's popularity prior as int_course_popularity_ranked defines it: ln(1 + the sum of
    its users' positive affinities capped at 5), scaled so the most popular course is 1."""
    positive = data.weights > 0
    engagement = np.bincount(data.courses[positive], weights=np.minimum(data.weights[positive], 5.0), minlength=data.n)
    scaled = np.log1p(engagement)
    return scaled / scaled.max() if scaled.max() > 0 else scaled


def leaderboard(
    holdout: Holdout,
    taken_train: np.ndarray,
    options: list[Candidate],
    *,
    content: np.ndarray | Sparse,
    available: np.ndarray,
    k: int,
    blend,
    sparse_keep: int | None = None,
) -> list[dict]:
    """Each candidate scored on the holdout exactly as production scores (``blend``; the
    popularity prior recomputed without the held-out courses), with nDCG, MAP and recall at
    k and coverage; the best nDCG is chosen (ties: listed first). ``sparse_keep``: fit each
    candidate on the sparse path with that many neighbours per course, as production does
    above its dense cap. Users are scored in batches of bounded size."""
    popular = popularity(holdout.train)
    n = holdout.train.n
    c = cooccurrence(holdout.train) if sparse_keep is None else cooccurrence_sparse(holdout.train)
    fitted: dict[tuple[str, float], np.ndarray | Sparse] = {}  # a blend reuses its item model's fit
    tops: list[list[np.ndarray]] = [[] for _ in options]
    step = max(1, HOLDOUT_BATCH_CELLS // max(n, 1))
    for lo in range(0, len(holdout.users), step):
        rows = holdout.train.dense(holdout.users[lo : lo + step])
        weights = np.maximum(rows / np.maximum(np.where(rows > 0, rows, 0).sum(axis=1, keepdims=True), 1e-300), 0.0)
        exclude = taken_train[lo : lo + step] | ~available[None, :]
        content_scores = product(weights, content)
        for i, option in enumerate(options):
            key = (option.kind, option.parameter)
            if key not in fitted:
                if sparse_keep is None:
                    fitted[key] = fit(option, holdout.train, c)
                else:
                    fitted[key] = fit_sparse(option, holdout.train, sparse_keep, c)[0]
            scores = blend(
                product(weights, fitted[key]),
                content_scores,
                popular[None, :],
                option.w_cf,
                option.w_content,
                option.w_pop,
            )
            tops[i].append(top_k(scores, exclude, k, popular))
    board = []
    for option, parts in zip(options, tops, strict=True):
        top = np.concatenate(parts) if parts else np.zeros((0, k), dtype=np.int64)
        board.append({"candidate": option, **ranking_metrics(top, holdout.held_out, k)})
    best = max(range(len(board)), key=lambda i: (board[i]["ndcg"], -i))
    for i, row in enumerate(board):
        row["chosen"] = i == best
    return board


def choosable(
    options: list[Candidate], kind: str, ease_l2: float | None, w_cf: float, w_content, w_pop
) -> list[Candidate]:
    """The candidates the vars allow: all (``kind`` auto) or one item model's; EASE's lambda
    and each blend weight pinned where the vars give it (None: the holdout chooses)."""
    from dataclasses import replace

    allowed = [o for o in options if kind == "auto" or o.kind == kind]
    if ease_l2 is not None:
        allowed = [_with_lambda(o, float(ease_l2)) if o.kind == "ease" else o for o in allowed]
    pinned = []
    for o in allowed:
        if o.kind == "popularity":
            if w_content is None and w_pop is None:
                pinned.append(o)
            continue
        weights = {
            "w_cf": float(w_cf),
            "w_content": o.w_content if w_content is None else float(w_content),
            "w_pop": o.w_pop if w_pop is None else float(w_pop),
        }
        pinned.append(replace(o, name=_blend_name(o.name.split("+")[0], weights), **weights))
    unique = {}
    for o in pinned:
        unique.setdefault((o.kind, o.parameter, o.w_cf, o.w_content, o.w_pop), o)
    return list(unique.values())


def _with_lambda(option: Candidate, lam: float) -> Candidate:
    from dataclasses import replace

    rest = option.name.partition("+")[2]
    return replace(option, name=f"ease(lambda={lam:g})" + (f"+{rest}" if rest else ""), parameter=lam)


def _blend_name(base: str, weights: dict) -> str:
    """A candidate's name from its item model and blend, e.g. cosine+content(0.3)+popularity(0.2)."""
    if not weights["w_content"] and not weights["w_pop"]:
        return base
    return f"{base}+content({weights['w_content']:g})+popularity({weights['w_pop']:g})"


# cells (courses x courses) of one batch of content rows compared at once
CONTENT_BATCH_CELLS = 1 << 22


def content_neighbors(
    vectors: np.ndarray, category: np.ndarray, tag_indptr: np.ndarray, tag_ids: np.ndarray, order: np.ndarray, keep: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each course's ``keep`` most similar courses by the cosine of their content ``vectors``
    (n x V), among the courses that share its ``category`` (codes; negative: none) or one
    of its tags (course i's tag ids are ``tag_ids[tag_indptr[i]:tag_indptr[i+1]]``), with a
    positive cosine; ties go to the lower ``order`` (the other course's id rank). Returns
    (course, other course, cosine, rank) positions, in batches of rows of bounded memory:
    the candidate pairs of a large category are never all held at once."""
    vectors = np.asarray(vectors, dtype=np.float64)
    n = len(vectors)
    norm = np.linalg.norm(vectors, axis=1)
    unit = np.divide(vectors, norm[:, None], out=np.zeros_like(vectors), where=norm[:, None] > 0)
    owner = np.repeat(np.arange(n), np.diff(tag_indptr))
    by_tag = np.argsort(tag_ids, kind="stable")  # courses of each tag, contiguous
    tag_courses, tag_start = owner[by_tag], np.searchsorted(tag_ids[by_tag], np.arange(tag_ids.max(initial=-1) + 2))
    parts = []
    step = max(1, CONTENT_BATCH_CELLS // max(n, 1))
    for lo in range(0, n, step):
        rows = np.arange(lo, min(n, lo + step))
        cosine = unit[rows] @ unit.T
        shares = (category[rows][:, None] == category[None, :]) & (category[rows][:, None] >= 0)
        # the courses of each tag of each row: (row, tag) entries expanded over the tag's courses
        entry = np.arange(tag_indptr[lo], tag_indptr[rows[-1] + 1])
        tags, entry_row = tag_ids[entry], owner[entry] - lo
        lens = tag_start[tags + 1] - tag_start[tags]
        at = np.repeat(tag_start[tags] - np.cumsum(lens) + lens, lens) + np.arange(lens.sum())
        shares[np.repeat(entry_row, lens), tag_courses[at]] = True
        shares[np.arange(len(rows)), rows] = False
        np.putmask(cosine, ~shares, -1.0)  # in place: no candidate
        row, col, rank = _best_per_row(cosine, order, keep)
        parts.append((rows[row], col, cosine[row, col], rank))
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), empty
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(4))


def _best_per_row(score: np.ndarray, order: np.ndarray, keep: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row, column, rank) of each row's ``keep`` largest positive scores (at most 1; the
    others are no candidates); ties: the lower ``order``.

    Courses with equal vectors give many equal scores, on which np.partition slows several
    fold: the cut is found on scores made distinct by less than ``delta``, and every score
    within ``delta`` of it is then sorted exactly, so the result is the exact one.
    """
    n = score.shape[1]
    kk = min(keep, n)
    delta = 1e-9
    jitter = (n - order) * (delta / max(n, 1))
    row_of = np.arange(score.shape[0])
    distinct = score + jitter[None, :]
    threshold = np.partition(distinct, n - kk, axis=1)[:, n - kk] - delta
    row, col = np.nonzero(distinct >= threshold[:, None])
    value = score[row, col]
    positive = value > 0  # a cosine, not 0 (nothing shared) or -1 (no candidate)
    row, col, value = row[positive], col[positive], value[positive]
    by = np.lexsort((order[col], -value, row))
    row, col = row[by], col[by]
    starts = np.searchsorted(row, row_of)
    rank = np.arange(len(row)) - starts[row] + 1
    kept = rank <= keep
    return row[kept], col[kept], rank[kept]
