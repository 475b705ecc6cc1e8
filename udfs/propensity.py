"""Purchase propensity: an L2-regularized logistic regression fitted with numpy.

Fitted by Newton's method (IRLS) on standardized features, so the penalty treats every
feature alike and the coefficients are comparable; the intercept is not penalized.
The fitted model is published as a table of coefficients with each feature's mean and
standard deviation, which SQL applies: score = sigmoid(b0 + sum(b_j * (x_j - mean_j) / std_j)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class LogisticModel:
    features: list[str]
    intercept: float
    coefficients: np.ndarray
    means: np.ndarray
    stds: np.ndarray
    iterations: int

    def predict(self, x: np.ndarray) -> np.ndarray:
        z = self.intercept + ((x - self.means) / self.stds) @ self.coefficients
        return 1.0 / (1.0 + np.exp(-z))


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    features: list[str],
    l2: float = 1.0,
    max_iter: int = 100,
    tol: float = 1e-9,
) -> LogisticModel:
    """Fit P(y=1 | x) = sigmoid(b0 + b . z), z = standardized x, minimizing
    -loglik + l2/2 * |b|^2. Constant features get std 1 and a zero coefficient."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n, k = x.shape
    means = x.mean(axis=0) if n else np.zeros(k)
    stds = x.std(axis=0) if n else np.ones(k)
    stds = np.where(stds > 1e-12, stds, 1.0)
    z = np.hstack([np.ones((n, 1)), (x - means) / stds])
    penalty = np.full(k + 1, l2)
    penalty[0] = 0.0
    p0 = np.clip(y.mean() if n else 0.5, 1e-6, 1 - 1e-6)
    beta = np.zeros(k + 1)
    beta[0] = np.log(p0 / (1 - p0))
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        p = 1.0 / (1.0 + np.exp(-(z @ beta)))
        grad = z.T @ (p - y) + penalty * beta
        w = p * (1 - p)
        hess = (z * w[:, None]).T @ z + np.diag(penalty) + 1e-9 * np.eye(k + 1)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.max(np.abs(step)) < tol:
            break
    return LogisticModel(features, float(beta[0]), beta[1:], means, stds, it)


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
