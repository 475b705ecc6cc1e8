"""One row per model x term: the fitted logistic purchase-propensity models.

Two fits of the same model (learnmart.udfs.propensity.fit_logistic, numpy):
  evaluation  fitted on the `fit` snapshot with labels up to the `evaluate` snapshot, so it
              can be judged honestly on the later `evaluate` snapshot
  production  fitted on the `evaluate` snapshot with labels up to N days later, and
              used to score every user as of as_of
The snapshots' dates come from int_propensity_windows_chosen. A fit that is not possible (too few
positives, no window) has status "not_fitted: ..." and zero coefficients; scoring then
leaves the logistic model out of the champion race. Scoring itself happens in SQL.
"""

import numpy as np
import pyarrow as pa

COLUMNS = {
    "model": pa.string(),
    "term": pa.string(),
    "coefficient": pa.float64(),
    "feature_mean": pa.float64(),
    "feature_std": pa.float64(),
    "train_snapshot": pa.string(),
    "train_users": pa.int64(),
    "train_positives": pa.int64(),
    "l2": pa.float64(),
    "l2_effective": pa.float64(),
    "iterations": pa.int64(),
    "converged": pa.bool_(),
    "status": pa.string(),
}


def _training_data(features_rel, features, snapshot):
    data = (
        features_rel.filter(f"snapshot = '{snapshot}'")
        .select(", ".join(features) + ", cast(paid_next as integer) as y")
        .fetchnumpy()
    )
    y = np.asarray(data["y"], dtype=np.float64)
    if not len(y):
        return np.zeros((0, len(features))), y
    return np.column_stack([np.asarray(data[f], dtype=np.float64) for f in features]), y


def model(dbt, session):
    dbt.config(materialized="table")
    from learnmart.udfs.propensity import fit_logistic

    params = dbt.ref("int_model_parameters_resolved").fetchnumpy()
    l2 = float(params["propensity_l2"][0])
    min_positives = int(params["propensity_min_positives"][0])
    windows = dbt.ref("int_propensity_windows_chosen").fetchnumpy()
    has_window = bool(windows["has_window"][0])
    features_rel = dbt.ref("int_propensity_features_joined")
    features = [c for c in features_rel.columns if c.startswith("f_")]
    rows = {name: [] for name in COLUMNS}
    for name, snapshot in (("evaluation", "fit"), ("production", "evaluate")):
        x, y = _training_data(features_rel, features, snapshot)
        if not has_window:
            y = np.zeros(0)
            x = np.zeros((0, len(features)))
        fitted = fit_logistic(x, y, features, l2=l2, min_positives=min_positives)
        status = fitted.status if has_window else "not_fitted: no window with enough buyers"
        terms = ["(intercept)", *features]
        values = zip(
            terms,
            [fitted.intercept, *fitted.coefficients.tolist()],
            [0.0, *fitted.means.tolist()],
            [1.0, *fitted.stds.tolist()],
            strict=True,
        )
        for term, coef, mean, std in values:
            row = {
                "model": name,
                "term": term,
                "coefficient": float(coef),
                "feature_mean": float(mean),
                "feature_std": float(std),
                "train_snapshot": snapshot,
                "train_users": int(len(y)),
                "train_positives": int(y.sum()),
                "l2": l2,
                "l2_effective": float(fitted.l2_effective),
                "iterations": int(fitted.iterations),
                "converged": bool(fitted.converged),
                "status": status,
            }
            for key, value in row.items():
                rows[key].append(value)
    return pa.table(rows, schema=pa.schema(list(COLUMNS.items())))
