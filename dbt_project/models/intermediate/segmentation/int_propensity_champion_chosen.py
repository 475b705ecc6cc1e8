"""One row per candidate propensity ranker: its out-of-time AUC, whether it is the champion,
and the Platt calibration that turns its score into a probability.

The candidates are int_propensity_scored's scores on the `evaluate` snapshot, judged on who
paid in the next N days (which none of them saw). The champion is the one with the highest
AUC over all users; ties go to the simpler ranker (RFM, then BG/NBD, then the logistic
model, then the blend). Its score is calibrated on the same window (Platt scaling:
p = sigmoid(a * logit(score) + b)), so purchase_propensity stays a probability whichever
ranker wins. No champion when the window has no positives or no negatives; int_propensity_windows_chosen
and int_propensity_models_fitted say why.
"""

import numpy as np
import pyarrow as pa

# simplest first: on equal AUC the earlier one wins
CANDIDATES = ("rfm_score", "bgnbd", "propensity_model", "blend")
COLUMN = {
    "rfm_score": "score_rfm",
    "bgnbd": "score_bgnbd",
    "propensity_model": "score_propensity_model",
    "blend": "score_blend",
}


def _judge(scores, labels, min_positives):
    """(auc, a, b, status) of one candidate's scores on the evaluation window."""
    from learnmart.udfs.propensity import auc, calibrate_platt

    known = ~np.isnan(scores)
    if not known.any():
        return float("nan"), 1.0, 0.0, "not available: the model was not fitted"
    scores, labels = scores[known], labels[known]
    positives = int(labels.sum())
    if positives < min_positives or len(labels) - positives < min_positives:
        return float("nan"), 1.0, 0.0, f"not judged: {positives} buyers among {len(labels)} users in the window"
    if np.unique(scores).size < 2:
        return 0.5, 1.0, 0.0, "not judged: the same score for every user"
    a, b = calibrate_platt(scores, labels, min_positives=min_positives)
    return auc(scores, labels), a, b, "judged"


def model(dbt, session):
    dbt.config(materialized="table")
    params = dbt.ref("int_model_parameters_resolved").fetchnumpy()
    min_positives = int(params["propensity_min_positives"][0])
    data = (
        dbt.ref("int_propensity_scored")
        .filter("snapshot = 'evaluate'")
        .select("cast(paid_next as integer) as y, " + ", ".join(COLUMN.values()))
        .fetchnumpy()
    )
    labels = np.asarray(data["y"], dtype=np.float64)
    rows = {
        "ranker": [],
        "users": [],
        "positives": [],
        "auc": [],
        "calibration_a": [],
        "calibration_b": [],
        "status": [],
        "is_champion": [],
    }
    for ranker in CANDIDATES:
        scores = np.ma.filled(np.ma.array(data[COLUMN[ranker]], dtype=np.float64), np.nan)
        value, a, b, status = _judge(scores, labels, min_positives)
        rows["ranker"].append(ranker)
        rows["users"].append(int(len(labels)))
        rows["positives"].append(int(labels.sum()))
        rows["auc"].append(None if np.isnan(value) else float(value))
        rows["calibration_a"].append(float(a))
        rows["calibration_b"].append(float(b))
        rows["status"].append(status)
    judged = [i for i, s in enumerate(rows["status"]) if s == "judged"]
    best = max(judged, key=lambda i: (rows["auc"][i], -i)) if judged else None
    rows["is_champion"] = [i == best for i in range(len(CANDIDATES))]
    schema = pa.schema(
        [
            ("ranker", pa.string()),
            ("users", pa.int64()),
            ("positives", pa.int64()),
            ("auc", pa.float64()),
            ("calibration_a", pa.float64()),
            ("calibration_b", pa.float64()),
            ("status", pa.string()),
            ("is_champion", pa.bool_()),
        ]
    )
    return pa.table(rows, schema=schema)
