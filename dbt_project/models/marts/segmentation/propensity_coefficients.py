"""One row per model x term: the fitted logistic purchase-propensity models.

Two fits of the same model (learnmart.udfs.propensity.fit_logistic, numpy):
  evaluation  fitted on the `fit` snapshot (as_of - 2N) with labels up to as_of - N, so it
              can be judged honestly on the later `evaluate` snapshot
  production  fitted on the `evaluate` snapshot (as_of - N) with labels up to as_of, and
              used to score every user as of as_of
A dbt Python model (not a UDF): fitting is one whole-table numpy computation, and its
output is a small table an analyst can read. Scoring happens in SQL.
"""

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from learnmart.udfs.propensity import fit_logistic

    params_rel = dbt.ref("int_model_parameters")
    l2 = float(params_rel.fetchnumpy()["propensity_l2"][0])
    features_rel = dbt.ref("int_propensity_features")
    features = [c for c in features_rel.columns if c.startswith("f_")]
    rows = {
        k: []
        for k in (
            "model",
            "term",
            "coefficient",
            "feature_mean",
            "feature_std",
            "train_snapshot",
            "train_users",
            "train_positives",
            "l2",
            "iterations",
        )
    }
    for name, snapshot in (("evaluation", "fit"), ("production", "evaluate")):
        data = (
            features_rel.filter(f"snapshot = '{snapshot}'")
            .select(", ".join(features) + ", cast(paid_next as integer) as y")
            .fetchnumpy()
        )
        x = (
            np.column_stack([np.asarray(data[f], dtype=np.float64) for f in features])
            if len(data["y"])
            else np.zeros((0, len(features)))
        )
        y = np.asarray(data["y"], dtype=np.float64)
        fitted = fit_logistic(x, y, features, l2=l2)
        terms = ["(intercept)", *features]
        coefs = [fitted.intercept, *fitted.coefficients.tolist()]
        means = [0.0, *fitted.means.tolist()]
        stds = [1.0, *fitted.stds.tolist()]
        for term, coef, mean, std in zip(terms, coefs, means, stds, strict=True):
            rows["model"].append(name)
            rows["term"].append(term)
            rows["coefficient"].append(float(coef))
            rows["feature_mean"].append(float(mean))
            rows["feature_std"].append(float(std))
            rows["train_snapshot"].append(snapshot)
            rows["train_users"].append(int(len(y)))
            rows["train_positives"].append(int(y.sum()))
            rows["l2"].append(l2)
            rows["iterations"].append(int(fitted.iterations))
    return pa.table(rows)
