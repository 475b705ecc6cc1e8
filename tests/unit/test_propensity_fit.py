"""fit_logistic and Platt scaling on adversarial inputs: every fit ends finite and says what it is."""

from __future__ import annotations

import time

import numpy as np
import pytest
from learnmart.udfs.propensity import (
    _newton,
    _solve_psd,
    apply_platt,
    auc,
    calibrate_platt,
    fit_logistic,
    logit,
    sigmoid,
)

FEATURES3 = ["f_a", "f_b", "f_c"]


def _logistic_data(n: int, coefs: list[float], intercept: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """x ~ N(0, 1) with y drawn from sigmoid(intercept + x . coefs)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(coefs)))
    y = (rng.random(n) < sigmoid(intercept + x @ np.array(coefs))).astype(float)
    return x, y


def _assert_finite(model) -> None:
    assert np.isfinite(model.intercept)
    assert np.all(np.isfinite(model.coefficients))
    assert np.all(np.isfinite(model.means))
    assert np.all(np.isfinite(model.stds)) and np.all(model.stds > 0)


def _assert_monotone(model) -> None:
    assert len(model.objective_history) == model.iterations + 1
    assert np.all(np.diff(model.objective_history) <= 0.0)


def _raw_scale(model) -> tuple[float, np.ndarray]:
    """(intercept, coefficients) on the unstandardized features."""
    slopes = model.coefficients / model.stds
    return model.intercept - float(slopes @ model.means), slopes


def _plain_newton_objectives(design, y, beta, penalty, steps):
    """The objective along undamped Newton steps, as fit_logistic took them before step control."""
    values = []
    for _ in range(steps):
        eta = design @ beta
        values.append(np.sum(np.logaddexp(0.0, eta) - y * eta) + 0.5 * np.sum(penalty * beta**2))
        p = sigmoid(eta)
        grad = design.T @ (p - y) + penalty * beta
        hess = (design.T * (p * (1 - p))) @ design + np.diag(penalty) + 1e-9 * np.eye(len(beta))
        beta = beta - np.linalg.solve(hess, grad)
    return values


# --- degenerate training sets: nothing is fitted, and the model says so ---------------------


def test_zero_rows_is_not_fitted():
    model = fit_logistic(np.zeros((0, 3)), np.zeros(0), FEATURES3, l2=1.0)
    assert model.status == "not_fitted: no rows"
    assert not model.fitted and not model.converged
    assert model.intercept == 0.0
    assert np.array_equal(model.coefficients, np.zeros(3))
    _assert_finite(model)


def test_zero_positives_is_not_fitted_with_a_finite_base_rate_intercept():
    x = np.random.default_rng(1).normal(size=(500, 3))
    model = fit_logistic(x, np.zeros(500), FEATURES3, l2=1.0)
    assert model.status == "not_fitted: no positives in the training window"
    assert not model.fitted
    assert np.array_equal(model.coefficients, np.zeros(3))
    assert model.intercept == pytest.approx(np.log(1e-6 / (1 - 1e-6)))
    assert np.ptp(model.predict(x)) == 0.0


def test_zero_negatives_is_not_fitted():
    x = np.random.default_rng(2).normal(size=(500, 3))
    model = fit_logistic(x, np.ones(500), FEATURES3, l2=1.0)
    assert model.status == "not_fitted: no negatives in the training window"
    assert not model.fitted
    assert np.array_equal(model.coefficients, np.zeros(3))
    assert model.intercept == pytest.approx(np.log((1 - 1e-6) / 1e-6))


def test_single_positive_is_not_fitted_by_default_and_bounded_when_allowed():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1000, 3))
    y = np.zeros(1000)
    y[17] = 1.0
    model = fit_logistic(x, y, FEATURES3, l2=1.0)
    assert model.status == "not_fitted: fewer than 10 positives (1)"
    assert not model.fitted
    assert np.array_equal(model.coefficients, np.zeros(3))
    assert model.intercept == pytest.approx(np.log(1 / 999))
    # allowed to fit, one positive is a separable problem: finite, bounded, converged
    forced = fit_logistic(x, y, FEATURES3, l2=1.0, min_positives=1)
    assert forced.status == "fitted" and forced.fitted
    _assert_finite(forced)
    assert np.linalg.norm(forced.coefficients) <= 40.0
    _assert_monotone(forced)


def test_no_varying_feature_is_not_fitted():
    x = np.column_stack([np.full(300, 2.5), np.zeros(300), np.full(300, np.nan)])
    y = (np.arange(300) % 3 == 0).astype(float)
    model = fit_logistic(x, y, FEATURES3, l2=1.0)
    assert model.status == "not_fitted: no feature varies"
    assert np.array_equal(model.coefficients, np.zeros(3))
    assert model.intercept == pytest.approx(np.log(100 / 200))


# --- separable data: the penalty floor keeps coefficients finite and bounded ---------------


def test_perfectly_separable_data_gives_finite_bounded_coefficients():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(5000, 3))
    y = (x[:, 0] - 0.5 * x[:, 1] > 0.3).astype(float)
    model = fit_logistic(x, y, FEATURES3, l2=1.0)
    assert model.status == "fitted" and model.converged
    _assert_finite(model)
    assert np.linalg.norm(model.coefficients) <= 40.0
    assert np.max(np.abs(model.coefficients)) < 50.0
    assert auc(model.predict(x), y) > 0.999
    _assert_monotone(model)


def test_tiny_margins_need_the_penalty_floor_to_stay_bounded():
    # most rows sit 0.01 sd either side of the boundary, a few far out carry the variance,
    # so a penalty that does not scale with n lets |b| run far past 50
    rng = np.random.default_rng(5)
    n = 100_000
    side = rng.random(n) < 0.5
    distance = np.where(rng.random(n) < 0.99, 0.01, 10.0)
    x = np.where(side, distance, -distance)[:, None]
    loose = fit_logistic(x, side, ["f_a"], l2=1.0, max_coef_norm=1e6)
    assert abs(loose.coefficients[0]) > 100.0
    model = fit_logistic(x, side, ["f_a"], l2=1.0)
    assert model.status == "fitted"
    _assert_finite(model)
    assert abs(model.coefficients[0]) <= 40.0
    assert model.l2_effective > 1.0
    _assert_monotone(model)


# --- awkward columns ------------------------------------------------------------------------


def test_duplicate_columns_get_equal_finite_coefficients():
    x, y = _logistic_data(4000, [1.2, -0.7], -0.5, seed=6)
    dup = np.column_stack([x[:, 0], x[:, 0], x[:, 1]])
    model = fit_logistic(dup, y, FEATURES3, l2=1.0)
    assert model.status == "fitted" and model.converged
    _assert_finite(model)
    assert model.coefficients[0] == pytest.approx(model.coefficients[1], rel=1e-8)
    # two copies penalized by l2 each act as one column penalized by l2 / 2 (b1 = b2 = b / 2)
    pair = fit_logistic(dup[:, :2], y, FEATURES3[:2], l2=1.0)
    single = fit_logistic(x[:, :1], y, ["f_a"], l2=pair.l2_effective / 2, max_coef_norm=1e6)
    assert pair.coefficients.sum() == pytest.approx(single.coefficients[0], rel=1e-7)
    assert np.max(np.abs(pair.predict(dup[:, :2]) - single.predict(x[:, :1]))) < 1e-9


def test_constant_column_gets_exactly_zero():
    x, y = _logistic_data(3000, [1.0, 0.8], 0.2, seed=7)
    # 0.1 and 0.1 * 3 / 3 differ in the last bit: constant up to rounding, std ~1e-17
    rounding = np.where(np.arange(3000) % 2 == 0, 0.1, 0.1 * 3 / 3)
    assert np.std(rounding) > 0.0
    with_constant = np.column_stack([x[:, 0], rounding, x[:, 1]])
    model = fit_logistic(with_constant, y, FEATURES3, l2=1.0)
    assert model.status == "fitted"
    assert model.coefficients[1] == 0.0
    assert model.stds[1] == 1.0 and model.means[1] == pytest.approx(0.1)
    exact = fit_logistic(np.column_stack([x[:, 0], np.full(3000, 0.1), x[:, 1]]), y, FEATURES3, l2=1.0)
    assert exact.coefficients[1] == 0.0
    assert model.coefficients[0] > 0.5 and model.coefficients[2] > 0.4


def test_collinear_columns_do_not_blow_up():
    x, y = _logistic_data(4000, [0.9, -0.6], 0.0, seed=8)
    collinear = np.column_stack([x, x[:, 0] + 2.0 * x[:, 1]])
    model = fit_logistic(collinear, y, FEATURES3, l2=1.0)
    reduced = fit_logistic(x, y, ["f_a", "f_b"], l2=1.0)
    assert model.status == "fitted" and model.converged
    _assert_finite(model)
    assert np.max(np.abs(model.coefficients)) < 5.0
    assert np.max(np.abs(model.predict(collinear) - reduced.predict(x))) < 1e-2
    _assert_monotone(model)


def test_huge_and_tiny_scales_match_the_unit_scale_fit():
    x, y = _logistic_data(3000, [0.8, -1.1, 0.5], -0.3, seed=9)
    unit = fit_logistic(x, y, FEATURES3, l2=1.0)
    # 1e12-scale, 1e-12-scale, and a column offset by 1e12
    scaled = np.column_stack([x[:, 0] * 1e12, x[:, 1] * 1e-12, 1e12 + x[:, 2] * 1e4])
    model = fit_logistic(scaled, y, FEATURES3, l2=1.0)
    assert model.status == "fitted"
    _assert_finite(model)
    assert model.coefficients == pytest.approx(unit.coefficients, rel=1e-5)
    assert model.intercept == pytest.approx(unit.intercept, rel=1e-6)
    assert np.max(np.abs(model.predict(scaled) - unit.predict(x))) < 1e-6


def test_non_finite_entries_count_as_the_column_mean():
    x, y = _logistic_data(3000, [1.0, -0.5, 0.7], 0.1, seed=10)
    dirty = x.copy()
    rng = np.random.default_rng(11)
    for value in (np.nan, np.inf, -np.inf):
        rows = rng.choice(3000, 50, replace=False)
        dirty[rows, rng.integers(0, 3, 50)] = value
    model = fit_logistic(dirty, y, FEATURES3, l2=1.0)
    assert model.status == "fitted"
    _assert_finite(model)
    by_hand = dirty.copy()
    for j in range(3):
        finite = np.isfinite(dirty[:, j])
        by_hand[~finite, j] = dirty[finite, j].mean()
    reference = fit_logistic(by_hand, y, FEATURES3, l2=1.0)
    assert model.coefficients == pytest.approx(reference.coefficients, rel=1e-9)
    assert model.means == pytest.approx(reference.means, rel=1e-12)
    assert np.all(np.isfinite(model.predict(dirty)))


def test_bad_labels_and_shapes_raise():
    x = np.zeros((4, 3))
    with pytest.raises(ValueError, match="0/1"):
        fit_logistic(x, np.array([0.0, 1.0, np.nan, 0.0]), FEATURES3)
    with pytest.raises(ValueError, match="0/1"):
        fit_logistic(x, np.array([0.0, 1.0, 2.0, 0.0]), FEATURES3)
    with pytest.raises(ValueError, match="one column per feature"):
        fit_logistic(x, np.zeros(4), ["f_a", "f_b"])
    with pytest.raises(ValueError, match="labels"):
        fit_logistic(x, np.zeros(5), FEATURES3)


# --- correctness and step control -----------------------------------------------------------


def test_million_rows_recover_the_generating_model():
    rng = np.random.default_rng(12)
    n = 1_000_000
    x = rng.normal(size=(n, 4)) * [1.0, 2.0, 0.5, 3.0] + [0.0, 1.0, -1.0, 5.0]
    truth = np.array([0.8, -0.4, 1.2, 0.0])
    y = (rng.random(n) < sigmoid(-2.0 + x @ truth)).astype(float)
    started = time.perf_counter()
    model = fit_logistic(x, y, ["f_a", "f_b", "f_c", "f_d"], l2=1.0)
    elapsed = time.perf_counter() - started
    assert model.status == "fitted" and model.converged
    intercept, slopes = _raw_scale(model)
    assert slopes == pytest.approx(truth, abs=0.03)
    assert intercept == pytest.approx(-2.0, abs=0.05)
    assert elapsed < 60.0


def test_matches_an_independent_gradient_descent_solution():
    x, y = _logistic_data(300, [1.0, -0.5, 0.3], -0.4, seed=13)
    l2 = 5.0  # above the floor, so both solve the same problem
    model = fit_logistic(x, y, FEATURES3, l2=l2)
    assert model.l2_effective == l2
    z = np.column_stack([np.ones(300), (x - x.mean(axis=0)) / x.std(axis=0)])
    penalty = np.array([0.0, l2, l2, l2])
    step = 1.0 / (0.25 * np.linalg.eigvalsh(z.T @ z).max() + l2)
    beta = np.zeros(4)
    for _ in range(20_000):
        beta -= step * (z.T @ (sigmoid(z @ beta) - y) + penalty * beta)
    assert np.linalg.norm(z.T @ (sigmoid(z @ beta) - y) + penalty * beta) < 1e-9
    assert model.intercept == pytest.approx(beta[0], abs=1e-7)
    assert model.coefficients == pytest.approx(beta[1:], abs=1e-7)


def test_step_control_never_raises_the_objective_where_plain_newton_explodes():
    x, y = _logistic_data(500, [1.0, -1.0], 0.0, seed=14)
    z = np.column_stack([np.ones(500), (x - x.mean(axis=0)) / x.std(axis=0)])
    penalty = np.array([0.0, 1.0, 1.0])
    far = np.array([8.0, 6.0, 6.0])
    with np.errstate(over="ignore"):
        plain = _plain_newton_objectives(z, y, far, penalty, 5)
    assert max(plain[1:]) > 100 * plain[0]  # the old, undamped fit diverges from here
    beta, iterations, converged, history = _newton(z, y, far, penalty, 100, 1e-10)
    assert converged
    assert len(history) == iterations + 1
    assert np.all(np.diff(history) <= 0.0)
    reference = fit_logistic(x, y, ["f_a", "f_b"], l2=1.0)
    assert beta[1:] == pytest.approx(reference.coefficients, abs=1e-7)


def test_singular_hessian_still_gives_a_finite_descent_step():
    grad = np.array([1.0, 1.0, 0.0])
    for hess in (np.ones((3, 3)), np.zeros((3, 3)), np.diag([1e300, 1.0, 0.0])):
        step = _solve_psd(hess, grad)
        assert np.all(np.isfinite(step))
        assert grad @ step > 0.0


def test_heavy_tailed_features_keep_a_monotone_objective():
    rng = np.random.default_rng(15)
    x = rng.standard_t(df=1, size=(2000, 3))
    y = (x @ np.array([1.0, -2.0, 0.5]) > 0.5).astype(float)
    model = fit_logistic(x, y, FEATURES3, l2=0.0)
    assert model.status == "fitted"
    _assert_finite(model)
    assert np.linalg.norm(model.coefficients) <= 40.0
    _assert_monotone(model)


def test_running_out_of_iterations_is_reported():
    x, y = _logistic_data(2000, [2.0, -1.5], 0.5, seed=16)
    model = fit_logistic(x, y, ["f_a", "f_b"], l2=1.0, max_iter=1)
    assert model.status == "not_converged"
    assert not model.converged and model.fitted
    assert model.iterations == 1
    _assert_finite(model)
    _assert_monotone(model)


def test_sigmoid_and_logit_are_stable_at_the_extremes():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = sigmoid(np.array([-1e4, -40.0, 0.0, 40.0, 1e4]))
        assert s[0] == 0.0 and s[2] == 0.5 and s[4] == 1.0
        assert 0.0 < s[1] < 1e-17 and s[3] == pytest.approx(1.0)
        assert np.all(np.isfinite(logit(np.array([0.0, 1.0]))))


# --- Platt scaling --------------------------------------------------------------------------


def test_platt_recovers_a_known_miscalibration():
    rng = np.random.default_rng(17)
    p_true = sigmoid(rng.normal(-1.0, 1.5, size=200_000))
    labels = rng.random(200_000) < p_true
    overconfident = sigmoid(2.0 * logit(p_true))
    a, b = calibrate_platt(overconfident, labels)
    assert a == pytest.approx(0.5, abs=0.02)
    assert b == pytest.approx(0.0, abs=0.03)
    calibrated = apply_platt(overconfident, a, b)
    assert np.mean(np.abs(calibrated - p_true)) < 0.01
    assert np.mean(np.abs(overconfident - p_true)) > 0.05


def test_platt_falls_back_to_identity_on_one_class():
    scores = np.linspace(0.01, 0.99, 100)
    assert calibrate_platt(scores, np.zeros(100)) == (1.0, 0.0)
    assert calibrate_platt(scores, np.ones(100)) == (1.0, 0.0)
    assert calibrate_platt(np.zeros(0), np.zeros(0)) == (1.0, 0.0)
    assert apply_platt(scores, 1.0, 0.0) == pytest.approx(scores, rel=1e-12)


def test_platt_handles_scores_of_exactly_zero_and_one():
    rng = np.random.default_rng(18)
    labels = rng.random(5000) < 0.3
    scores = np.where(labels, rng.choice([0.6, 1.0], 5000), rng.choice([0.0, 0.4], 5000))
    a, b = calibrate_platt(scores, labels)
    assert np.isfinite(a) and np.isfinite(b) and a > 0
    assert (a, b) == pytest.approx(calibrate_platt(np.clip(scores, 1e-6, 1 - 1e-6), labels), rel=1e-9)
    calibrated = apply_platt(scores, a, b)
    assert np.all(np.isfinite(calibrated)) and np.all((calibrated > 0) & (calibrated < 1))
