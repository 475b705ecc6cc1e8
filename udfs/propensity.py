"""Purchase propensity: an L2-regularized logistic regression fitted with numpy.

Fitted by damped Newton's method (IRLS with step-halving) on standardized features, so the
penalty treats every feature alike and the coefficients are comparable; the intercept is not
penalized. The fitted model is published as a table of coefficients with each feature's mean
and standard deviation, which SQL applies:
score = sigmoid(b0 + sum(b_j * (x_j - mean_j) / std_j)).

A fit says when it is unfit: `status` is "fitted", "not_converged" or "not_fitted: <reason>",
and a model that was not fitted carries zero coefficients, so the caller can publish NULL.
Also here: Platt scaling, to calibrate any ranker's scores on a holdout.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SCORE_CLIP = 1e-6
_BASE_RATE_CLIP = 1e-6
# A column whose spread is below this share of its largest magnitude is rounding noise.
_CONSTANT_REL_STD = 1e-10
_MAX_HALVINGS = 60


@dataclass
class LogisticModel:
    features: list[str]
    intercept: float
    coefficients: np.ndarray
    means: np.ndarray
    stds: np.ndarray
    iterations: int
    converged: bool = False
    status: str = "not_fitted: not run"
    l2_effective: float = 0.0
    objective_history: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def fitted(self) -> bool:
        """True when coefficients were estimated (converged or not); False for a constant model."""
        return not self.status.startswith("not_fitted")

    def predict(self, x: np.ndarray) -> np.ndarray:
        """P(y=1 | x); non-finite entries count as the feature's mean, as in the fit."""
        z = (np.asarray(x, dtype=np.float64) - self.means) / self.stds
        z = np.where(np.isfinite(z), z, 0.0)
        return sigmoid(self.intercept + z @ self.coefficients)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)), without overflow for any finite z."""
    return np.exp(-np.logaddexp(0.0, -np.asarray(z, dtype=np.float64)))


def logit(p: np.ndarray, clip: float = SCORE_CLIP) -> np.ndarray:
    """log(p / (1 - p)) of p clipped to [clip, 1 - clip]."""
    p = np.clip(np.asarray(p, dtype=np.float64), clip, 1.0 - clip)
    return np.log(p) - np.log1p(-p)


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    features: list[str],
    l2: float = 1.0,
    max_iter: int = 100,
    tol: float = 1e-10,
    min_positives: int = 10,
    max_coef_norm: float = 40.0,
) -> LogisticModel:
    """Fit P(y=1 | x) = sigmoid(b0 + b . z), z = standardized x, minimizing
    -loglik + l2_eff/2 * |b|^2.

    - Non-finite entries of x are treated as the column mean of its finite entries.
    - Constant features get std 1 and a coefficient of exactly 0.
    - l2_eff = max(l2, 2 * n * H(mean y) / max_coef_norm^2), H the binary entropy: a floor that
      grows with n, so |b|_2 <= max_coef_norm on any data, separable included (the objective
      starts at n * H and never increases), while barely shrinking a well-posed fit.
    - With no rows, a single class, fewer than `min_positives` of either class or no
      varying feature, nothing is fitted: zero coefficients, the base-rate logit as intercept.
    - `tol` is the relative objective gap (half the Newton decrement) at which the fit stops.
    """
    x, y = _checked_inputs(x, y, features)
    means, stds, constant = _column_moments(x)
    n, k = x.shape
    reason = _unfit_reason(y, int(np.sum(~constant)), min_positives)
    if reason is not None:
        return LogisticModel(features, _base_logit(y), np.zeros(k), means, stds, 0, status=f"not_fitted: {reason}")
    design = _design_matrix(x, means, stds, constant)
    rate = float(y.mean())
    l2_eff = max(float(l2), 2.0 * n * _entropy(rate) / max_coef_norm**2)
    penalty = np.full(design.shape[1], l2_eff)
    penalty[0] = 0.0
    start = np.zeros(design.shape[1])
    start[0] = np.log(rate) - np.log1p(-rate)
    beta, iterations, converged, history = _newton(design, y, start, penalty, max_iter, tol)
    coefficients = np.zeros(k)
    coefficients[~constant] = beta[1:]
    return LogisticModel(
        features,
        float(beta[0]),
        coefficients,
        means,
        stds,
        iterations,
        converged=converged,
        status="fitted" if converged else "not_converged",
        l2_effective=l2_eff,
        objective_history=history,
    )


def _checked_inputs(x: np.ndarray, y: np.ndarray, features: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """x as an (n, k) float matrix and y as n 0/1 floats, or a ValueError saying what is wrong."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64).ravel()
    if x.ndim == 1 and len(features) == 1:
        x = x[:, None]
    if x.ndim != 2 or x.shape[1] != len(features):
        raise ValueError(f"x must have one column per feature ({len(features)}); got shape {x.shape}")
    if len(y) != x.shape[0]:
        raise ValueError(f"x has {x.shape[0]} rows but y has {len(y)} labels")
    if not np.all((y == 0.0) | (y == 1.0)):
        raise ValueError("y must hold 0/1 labels (no NaN)")
    return x, y


def _column_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each column's mean over its finite entries, its std once non-finite entries are set to
    that mean (1 where constant), and which columns are constant."""
    finite = np.isfinite(x)
    # rescale each column by its largest magnitude, so 1e300 and 1e-300 sum without overflow
    scale = np.max(np.abs(np.where(finite, x, 0.0)), axis=0, initial=0.0)
    scale = np.where(scale > 0, scale, 1.0)
    u = np.where(finite, x / scale, np.nan)
    counts = finite.sum(axis=0)
    mean_u = np.where(counts > 0, np.nansum(u, axis=0) / np.maximum(counts, 1), 0.0)
    centred = np.where(finite, u - mean_u, 0.0)
    std_u = np.sqrt(np.sum(centred**2, axis=0) / max(x.shape[0], 1))
    constant = std_u <= _CONSTANT_REL_STD
    stds = np.where(constant, 1.0, std_u * scale)
    return mean_u * scale, stds, constant


def _design_matrix(x: np.ndarray, means: np.ndarray, stds: np.ndarray, constant: np.ndarray) -> np.ndarray:
    """[1, z] over the varying columns, z standardized and 0 where x is not finite."""
    active = ~constant
    z = (x[:, active] - means[active]) / stds[active]
    z[~np.isfinite(z)] = 0.0
    return np.hstack([np.ones((x.shape[0], 1)), z])


def _unfit_reason(y: np.ndarray, varying: int, min_positives: int) -> str | None:
    """Why there is nothing worth fitting, or None."""
    positives = int(y.sum())
    negatives = len(y) - positives
    if len(y) == 0:
        return "no rows"
    if positives == 0:
        return "no positives in the training window"
    if negatives == 0:
        return "no negatives in the training window"
    if positives < min_positives:
        return f"fewer than {min_positives} positives ({positives})"
    if negatives < min_positives:
        return f"fewer than {min_positives} negatives ({negatives})"
    if varying == 0:
        return "no feature varies"
    return None


def _base_logit(y: np.ndarray) -> float:
    """The logit of the base rate, clipped so it is finite for a single class (0 with no rows)."""
    rate = float(y.mean()) if len(y) else 0.5
    return float(logit(rate, _BASE_RATE_CLIP))


def _entropy(p: float) -> float:
    """Binary entropy in nats, for 0 < p < 1."""
    return float(-p * np.log(p) - (1.0 - p) * np.log1p(-p))


def _objective(design: np.ndarray, y: np.ndarray, beta: np.ndarray, penalty: np.ndarray) -> float:
    """Penalized negative log-likelihood, stable for any linear predictor."""
    eta = design @ beta
    return float(np.sum(np.logaddexp(0.0, eta) - y * eta) + 0.5 * np.sum(penalty * beta**2))


def _newton_direction(
    design: np.ndarray, y: np.ndarray, beta: np.ndarray, penalty: np.ndarray
) -> tuple[np.ndarray, float]:
    """The Newton step (to subtract) and the squared Newton decrement grad . step."""
    p = sigmoid(design @ beta)
    grad = design.T @ (p - y) + penalty * beta
    hess = (design.T * (p * (1.0 - p))) @ design + np.diag(penalty)
    step = _solve_psd(hess, grad)
    return step, float(grad @ step)


def _solve_psd(hess: np.ndarray, grad: np.ndarray) -> np.ndarray:
    """hess^-1 grad for a positive semi-definite hess; when that is numerically singular, with a
    jitter proportional to its diagonal, then by least squares, then the scaled gradient."""
    scale = max(float(np.max(np.diag(hess))), np.finfo(np.float64).tiny)
    eye = np.eye(len(grad))
    for jitter in (0.0, 1e-12, 1e-9, 1e-6):
        try:
            step = np.linalg.solve(hess + jitter * scale * eye, grad)
        except np.linalg.LinAlgError:
            continue
        if np.all(np.isfinite(step)) and grad @ step >= 0.0:
            return step
    step = np.linalg.lstsq(hess, grad, rcond=None)[0]
    if np.all(np.isfinite(step)) and grad @ step > 0.0:
        return step
    return grad / max(scale, 1.0)  # steepest descent, left to the step-halving


def _newton(
    design: np.ndarray, y: np.ndarray, beta: np.ndarray, penalty: np.ndarray, max_iter: int, tol: float
) -> tuple[np.ndarray, int, bool, np.ndarray]:
    """Minimize the objective from beta by Newton steps, each halved until the objective
    decreases: (beta, steps taken, converged, objective at the start and after each step)."""
    value = _objective(design, y, beta, penalty)
    history = [value]
    for _ in range(max_iter):
        direction, decrement = _newton_direction(design, y, beta, penalty)
        if decrement / 2.0 <= tol * (1.0 + abs(value)):
            # within tolerance: one last full step sharpens beta, kept unless rounding makes it worse
            candidate = beta - direction
            new_value = _objective(design, y, candidate, penalty)
            if new_value <= value:
                beta, value = candidate, new_value
                history.append(value)
            return beta, len(history) - 1, True, np.array(history)
        moved = _halving_step(design, y, beta, penalty, value, direction, decrement)
        if moved is None:
            return beta, len(history) - 1, False, np.array(history)
        beta, value = moved
        history.append(value)
    _, decrement = _newton_direction(design, y, beta, penalty)
    return beta, max_iter, decrement / 2.0 <= tol * (1.0 + abs(value)), np.array(history)


def _halving_step(
    design: np.ndarray,
    y: np.ndarray,
    beta: np.ndarray,
    penalty: np.ndarray,
    value: float,
    direction: np.ndarray,
    decrement: float,
) -> tuple[np.ndarray, float] | None:
    """The first of beta - t * direction, t = 1, 1/2, 1/4, ..., that lowers the objective
    enough (Armijo), with its objective; None if none does."""
    t = 1.0
    for _ in range(_MAX_HALVINGS):
        candidate = beta - t * direction
        new_value = _objective(design, y, candidate, penalty)
        if np.isfinite(new_value) and new_value <= value - 1e-4 * t * decrement:
            return candidate, new_value
        t /= 2.0
    return None


def calibrate_platt(scores: np.ndarray, labels: np.ndarray, min_positives: int = 10) -> tuple[float, float]:
    """(a, b) of p = sigmoid(a * logit(score) + b) fitted to holdout labels, scores clipped to
    [1e-6, 1 - 1e-6]; the identity (1, 0) when the labels or scores leave nothing to fit."""
    s = logit(np.asarray(scores, dtype=np.float64).ravel())
    model = fit_logistic(s[:, None], np.asarray(labels).ravel(), ["logit_score"], l2=0.0, min_positives=min_positives)
    if not model.fitted:
        return 1.0, 0.0
    a = float(model.coefficients[0] / model.stds[0])
    return a, float(model.intercept - a * model.means[0])


def apply_platt(scores: np.ndarray, a: float, b: float) -> np.ndarray:
    """Calibrated probabilities sigmoid(a * logit(score) + b), scores clipped as in the fit."""
    return sigmoid(a * logit(scores) + b)


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counted half)."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=bool)
    pos, neg = labels.sum(), (~labels).sum()
    if pos == 0 or neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    s = scores[order]
    ranks = np.empty(len(s))
    # average ranks over ties
    _, first, counts = np.unique(s, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[labels].sum() - pos * (pos + 1) / 2.0) / (pos * neg))
