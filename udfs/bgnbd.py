"""BG/NBD ("buy till you die", Fader, Hardie & Lee 2005) in numpy.

Used two ways: as the baseline purchase-propensity ranker that propensity_evaluation
reports beside learnmart's model, and as one input feature of that model.

Per customer: x = repeat purchases (paid orders - 1), t_x = time of the last purchase
and T = age, both measured from the first purchase, in weeks. Parameters (r, alpha, a, b)
maximize the log-likelihood (eq. 6 of the paper); fitted with a small Nelder-Mead on
log-parameters, so nothing beyond numpy is needed. The lnGamma differences the
likelihood needs reduce, for integer x, to sums of logs, computed for every customer at
once from one cumulative table.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    iterations: int


def _log_rising(base: float, x: np.ndarray, table_size: int) -> np.ndarray:
    """ln Gamma(base + x) - ln Gamma(base) = sum_{i<x} ln(base + i), for integer x >= 0."""
    cum = np.concatenate([[0.0], np.cumsum(np.log(base + np.arange(table_size)))])
    return cum[x]


def log_likelihood(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, t: np.ndarray) -> float:
    r, alpha, a, b = params
    if min(params) <= 0:
        return -np.inf
    m = int(x.max()) + 1 if len(x) else 1
    a1 = _log_rising(r, x, m) + r * np.log(alpha)
    a2 = _log_rising(b, x, m) - _log_rising(a + b, x, m)
    a3 = -(r + x) * np.log(alpha + t)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(
            x > 0,
            np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return float(np.sum(a1 + a2 + np.logaddexp(a3, a4)))


def _nelder_mead(f, x0: np.ndarray, max_iter: int = 2000, tol: float = 1e-10):
    n = len(x0)
    simplex = np.vstack([x0, x0 + np.eye(n) * 0.5])
    values = np.array([f(p) for p in simplex])
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        order = np.argsort(values)
        simplex, values = simplex[order], values[order]
        if abs(values[-1] - values[0]) <= tol * (abs(values[0]) + tol):
            break
        centroid = simplex[:-1].mean(axis=0)
        reflected = centroid + (centroid - simplex[-1])
        fr = f(reflected)
        if fr < values[0]:
            expanded = centroid + 2 * (centroid - simplex[-1])
            fe = f(expanded)
            simplex[-1], values[-1] = (expanded, fe) if fe < fr else (reflected, fr)
        elif fr < values[-2]:
            simplex[-1], values[-1] = reflected, fr
        else:
            contracted = centroid + 0.5 * (simplex[-1] - centroid)
            fc = f(contracted)
            if fc < values[-1]:
                simplex[-1], values[-1] = contracted, fc
            else:
                simplex[1:] = simplex[0] + 0.5 * (simplex[1:] - simplex[0])
                values[1:] = [f(p) for p in simplex[1:]]
    best = int(np.argmin(values))
    return simplex[best], values[best], it


def _objective(x: np.ndarray, t_x: np.ndarray, t: np.ndarray):
    """-log-likelihood of log-parameters, summed over distinct (x, t_x, T) with their counts.

    Equal to -log_likelihood(exp(params), x, t_x, t), but each log of (alpha + time) is taken
    once per distinct time and each distinct customer history once, which is what makes a
    fit over hundreds of thousands of customers take seconds.
    """
    triples, counts = np.unique(np.column_stack([x, t_x, t]), axis=0, return_counts=True)
    ux = triples[:, 0].astype(np.int64)
    times, index = np.unique(triples[:, 1:], return_inverse=True)
    index = index.reshape(-1, 2)
    tx_at, t_at = index[:, 0], index[:, 1]
    m = int(ux.max()) + 1 if len(ux) else 1
    repeat = ux > 0

    def objective(log_params: np.ndarray) -> float:
        r, alpha, a, b = np.exp(log_params)
        log_times = np.log(alpha + times)
        a1 = _log_rising(r, ux, m) + r * np.log(alpha)
        a2 = _log_rising(b, ux, m) - _log_rising(a + b, ux, m)
        a3 = -(r + ux) * log_times[t_at]
        a4 = np.full(len(ux), -np.inf)
        a4[repeat] = np.log(a) - np.log(b + ux[repeat] - 1) - (r + ux[repeat]) * log_times[tx_at[repeat]]
        ll = float(np.dot(counts, a1 + a2 + np.logaddexp(a3, a4)))
        return -ll if np.isfinite(ll) else 1e300

    return objective


def fit(x: np.ndarray, t_x: np.ndarray, t: np.ndarray, start: BgNbdParams | None = None) -> BgNbdParams:
    """Maximum-likelihood (r, alpha, a, b) for repeat counts x, recency t_x and age T.

    ``start``: a previous fit to start from (e.g. the same customers a month earlier).
    """
    x = np.asarray(x, dtype=np.int64)
    t_x = np.asarray(t_x, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    if len(x) == 0:
        return BgNbdParams(1.0, 1.0, 1.0, 1.0, 0.0, 0)
    objective = _objective(x, t_x, t)
    if start is None:
        first = np.log([1.0, max(float(np.mean(t)), 1.0), 1.0, 1.0])
    else:
        first = np.log([start.r, start.alpha, start.a, start.b])
    best, value, it = _nelder_mead(objective, first)
    # restart once from the optimum: Nelder-Mead can stall on a flat ridge
    best, value, it2 = _nelder_mead(objective, best)
    r, alpha, a, b = np.exp(best)
    return BgNbdParams(float(r), float(alpha), float(a), float(b), float(-value), it + it2)


def p_alive(p: BgNbdParams, x, t_x, t) -> np.ndarray:
    """P(the customer is still active at T | x, t_x, T)."""
    x = np.asarray(x, dtype=np.float64)
    ratio = np.where(
        x > 0,
        p.a
        / (p.b + np.maximum(x, 1) - 1)
        * np.exp((p.r + x) * (np.log(p.alpha + np.asarray(t)) - np.log(p.alpha + np.asarray(t_x)))),
        0.0,
    )
    return 1.0 / (1.0 + ratio)


def p_purchase_within(p: BgNbdParams, x, t_x, t, horizon: float) -> np.ndarray:
    """P(at least one purchase in (T, T + horizon] | x, t_x, T).

    Under BG/NBD a customer can only drop out right after a purchase, so the chance of no
    purchase in the horizon for an active customer is E[exp(-lambda * horizon)] under the
    posterior Gamma(r + x, alpha + T): ((alpha + T) / (alpha + T + horizon)) ** (r + x).
    """
    x = np.asarray(x, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    none = np.exp((p.r + x) * (np.log(p.alpha + t) - np.log(p.alpha + t + horizon)))
    return p_alive(p, x, t_x, t) * (1.0 - none)
