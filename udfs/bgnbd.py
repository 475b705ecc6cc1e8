"""BG/NBD ("buy till you die", Fader, Hardie & Lee 2005) in numpy.

Used two ways: as the baseline purchase-propensity ranker that propensity_evaluation
reports beside learnmart's model, and as one input feature of that model.

Per customer: x = repeat purchases (paid orders - 1), t_x = time of the last purchase
and T = age, both measured from the first purchase, in weeks. Parameters (r, alpha, a, b)
maximize the log-likelihood (eq. 6 of the paper); fitted by Newton's method on
log-parameters with the exact gradient and Hessian, so nothing beyond numpy is needed.
The lnGamma differences the likelihood needs reduce, for integer x, to sums of logs (and
their derivatives to sums of 1/(base + i) and 1/(base + i)^2), computed for every
customer at once from one cumulative table.

Newton's method replaced a Nelder-Mead simplex, which was slower and stopped short of the
maximum (bench/results has the figures).
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


class _Histories:
    """-log-likelihood over distinct (x, t_x, T) with their counts, in log-parameters.

    Equal to -log_likelihood(exp(params), x, t_x, t), but each log of (alpha + time) is taken
    once per distinct time and each distinct customer history once: hundreds of thousands
    of customers have a few tens of thousands of distinct histories.
    """

    def __init__(self, x: np.ndarray, t_x: np.ndarray, t: np.ndarray):
        # distinct rows by one lexsort (np.unique(axis=0) is several times slower)
        order = np.lexsort((t, t_x, x))
        x, t_x, t = x[order], t_x[order], t[order]
        first = np.ones(len(x), dtype=bool)
        first[1:] = (x[1:] != x[:-1]) | (t_x[1:] != t_x[:-1]) | (t[1:] != t[:-1])
        starts = np.flatnonzero(first)
        self.counts = np.diff(np.append(starts, len(x)))
        self.x = x[starts]
        self.xf = self.x.astype(np.float64)
        self.times, index = np.unique(np.concatenate([t_x[starts], t[starts]]), return_inverse=True)
        self.tx_at, self.t_at = index[: len(starts)], index[len(starts) :]
        self.m = int(self.x.max()) + 1 if len(self.x) else 1
        self.repeat = self.x > 0

    def _rising(self, base: float, power: int) -> np.ndarray:
        """Per history: sum over i < x of ln(base + i) (power 0) or (base + i) ** -power."""
        terms = base + np.arange(self.m)
        terms = np.log(terms) if power == 0 else terms**-power
        return np.concatenate([[0.0], np.cumsum(terms)])[self.x]

    def newton_terms(self, log_params: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """-log-likelihood (1e300 where it is not finite) with its gradient and Hessian in
        log-parameters.

        Per history the log-likelihood is A1 + A2 + ln(e^A3 + e^A4) (eq. 6 of the paper).
        The lnGamma ratios in A1 and A2 differentiate to sums of 1/(base + i) and
        1/(base + i)^2 over i < x; the log-sum-exp term mixes the derivatives of A3 and A4
        with weights w3 + w4 = 1, plus w3 w4 (dA3 - dA4)(dA3 - dA4)' in the Hessian.
        """
        r, alpha, a, b = np.exp(log_params)
        rep = self.repeat
        log_times = np.log(alpha + self.times)
        rx = r + self.xf
        a3 = -rx * log_times[self.t_at]
        a4 = np.full(len(self.x), -np.inf)
        a4[rep] = np.log(a) - np.log(b + self.xf[rep] - 1) - rx[rep] * log_times[self.tx_at[rep]]
        head = self._rising(r, 0) + r * np.log(alpha) + self._rising(b, 0) - self._rising(a + b, 0)
        c = self.counts
        value = -float(np.dot(c, head + np.logaddexp(a3, a4)))
        if not np.isfinite(value):
            return 1e300, np.zeros(4), np.eye(4)
        w4 = np.exp(a4 - np.logaddexp(a3, a4))
        w3 = 1.0 - w4
        inv_times = 1.0 / (alpha + self.times)
        inv_t, inv_tx = inv_times[self.t_at], inv_times[self.tx_at]
        inv_bx = np.zeros(len(self.x))
        inv_bx[rep] = 1.0 / (b + self.xf[rep] - 1)
        zero = np.zeros(len(self.x))
        # d/d(r, alpha, a, b) of A3 and of A4 (A4's only matters where x > 0, else w4 = 0)
        g3 = np.stack([-log_times[self.t_at], -rx * inv_t, zero, zero])
        g4 = np.stack([-log_times[self.tx_at], -rx * inv_tx, np.where(rep, 1.0 / a, 0.0), -inv_bx])
        s2_ab = self._rising(a + b, 2)
        s1_ab = self._rising(a + b, 1)
        rows = w3 * g3 + w4 * g4
        rows[0] += self._rising(r, 1) + np.log(alpha)
        rows[1] += r / alpha
        rows[2] -= s1_ab
        rows[3] += self._rising(b, 1) - s1_ab
        grad = rows @ c
        hess = np.zeros((4, 4))
        hess[0, 0] = -np.dot(c, self._rising(r, 2))
        hess[0, 1] = np.dot(c, 1.0 / alpha - w3 * inv_t - w4 * inv_tx)
        hess[1, 1] = np.dot(c, -r / alpha**2 + rx * (w3 * inv_t**2 + w4 * inv_tx**2))
        hess[2, 2] = np.dot(c, s2_ab - w4 / a**2)
        hess[2, 3] = np.dot(c, s2_ab)
        hess[3, 3] = np.dot(c, s2_ab - self._rising(b, 2) + w4 * inv_bx**2)
        hess = np.triu(hess) + np.triu(hess, 1).T
        diff = g3 - g4
        hess += (diff * (c * w3 * w4)) @ diff.T
        # to log-parameters: d/dlog p = p d/dp
        p = np.array([r, alpha, a, b])
        hess = hess * np.outer(p, p) + np.diag(p * grad)
        return value, -(p * grad), -hess


def _newton(histories: _Histories, first: np.ndarray, damping: float = 0.0, max_iter: int = 200):
    """Minimize -log-likelihood by Newton's method in log-parameters.

    A step that does not lower it is retried with Levenberg-Marquardt damping. The fit
    stops when a full Newton step moves no log-parameter by more than 1e-9, when a full
    step that promised a decrease within rounding noise fails, or when no damped step
    lowers it any more. ``damping``: where to start it (0: full Newton steps); it shrinks
    tenfold with every step that succeeds.
    """
    theta = np.asarray(first, dtype=np.float64)
    value, grad, hess = histories.newton_terms(theta)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        scale = np.maximum(np.abs(np.diag(hess)), 1e-12)
        try:
            step = np.linalg.solve(hess + damping * np.diag(scale), -grad)
        except np.linalg.LinAlgError:
            step = np.full(4, np.nan)
        if np.all(np.isfinite(step)):
            if damping == 0.0 and np.max(np.abs(step)) <= 1e-9:
                break
            # exp(+-30) bounds any real (r, alpha, a, b); it keeps a wild step finite
            candidate = np.clip(theta + step, -30.0, 30.0)
            new_value, new_grad, new_hess = histories.newton_terms(candidate)
            if new_value < value:
                theta, value, grad, hess = candidate, new_value, new_grad, new_hess
                damping = damping / 10 if damping > 1e-6 else 0.0
                continue
            if damping == 0.0 and -grad @ step <= 1e-12 * abs(value) and np.all(np.linalg.eigvalsh(hess) > 0):
                break  # a full step that promised less than rounding noise did not pay: converged
        damping = max(damping * 10, 1e-6)
        if damping > 1e10:
            break
    return theta, value, it


def fit(x: np.ndarray, t_x: np.ndarray, t: np.ndarray, start: BgNbdParams | None = None) -> BgNbdParams:
    """Maximum-likelihood (r, alpha, a, b) for repeat counts x, recency t_x and age T.

    ``start``: a previous fit to start from (e.g. the same customers a month earlier).
    """
    x = np.asarray(x, dtype=np.int64)
    t_x = np.asarray(t_x, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    if len(x) == 0:
        return BgNbdParams(1.0, 1.0, 1.0, 1.0, 0.0, 0)
    if start is None:
        # far from the optimum, full Newton steps overshoot along the flat (a, b) ridge:
        # damped first steps reach it in far fewer iterations than undamped ones
        first = np.log([1.0, max(float(np.mean(t)), 1.0), 1.0, 1.0])
        damping = 0.1
    else:
        first = np.log([start.r, start.alpha, start.a, start.b])
        damping = 0.0
    best, value, it = _newton(_Histories(x, t_x, t), first, damping)
    r, alpha, a, b = np.exp(best)
    return BgNbdParams(float(r), float(alpha), float(a), float(b), float(-value), it)


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
