"""One row per behavioural cluster: k-means on the standardized features of int_user_behaviour_aggregated.

Skewed counts and amounts (active days, recency, orders, spend) enter as log(1 + x), shares
as they are; every feature is then a z-score, so a day and a yuan weigh alike, the
columns of one group (volume, the format mix, the time of day) share one feature's weight,
and volume and recency count half (GROUP_WEIGHTS). k is chosen
by silhouette on a seeded sample within vars cluster_k_min..cluster_k_max, or pinned by var
cluster_k; the full fit is warm-started from the sample's centroids
(learnmart.udfs.clusters.fit). Ids are numbered by size, largest first, and the fit is
seeded, so the same data gives the same ids. Each row carries its members (user_key with
the distance to the centroid, as parallel lists) for user_clusters to unnest, the
centroid's z-scores, a name from the most distinctive of them, and the fit's diagnostics
for model_health.
"""

import numpy as np
import pyarrow as pa

# column of int_user_behaviour_aggregated: (log-transformed, group, words when high, words when low).
# A group's columns share one feature's weight (each z-score / sqrt(group size)), so five
# format shares count as much as completion does, not five times as much, and the four
# measures of how much a user does (days, orders, spend, minutes) count as one: otherwise
# the clusters are mostly bands of volume, and how people learn hardly shows.
FEATURES = {
    "active_days": (True, "volume", "very active", "rarely active"),
    "days_since_last_seen": (True, "recency", "lapsed", "recently active"),
    "frequency": (True, "volume", "frequent buyers", "rare buyers"),
    "monetary": (True, "volume", "big spenders", "low spend"),
    "discount_share": (False, "discount", "bargain hunters", "full price"),
    "completion_share": (False, "completion", "high completion", "low completion"),
    "category_focus": (False, "category", "one topic", "many topics"),
    "video_share": (False, "format", "video watchers", "few videos"),
    "audio_share": (False, "format", "audio listeners", "little audio"),
    "ebook_share": (False, "format", "e-book readers", "few e-books"),
    "live_share": (False, "format", "live-class goers", "few live classes"),
    "column_share": (False, "format", "column readers", "few columns"),
    "night_share": (False, "time of day", "night owls", "no nights"),
    "morning_share": (False, "time of day", "mornings", "few mornings"),
    "evening_share": (False, "time of day", "evenings", "daytime"),
    "learning_minutes_total": (True, "volume", "long learning time", "little learning time"),
    "avg_session_minutes": (True, "session length", "long sessions", "short sessions"),
}
# A group's weight, where it is not 1. How much and how recently a user buys and learns is
# what the RFM tiers (user_segments) already band users by; the clusters say how they learn.
# At full weight these two groups, which vary more within a learner type than between types,
# make the clusters bands of activity; at half they still set the light apart from the
# active without drowning the hours, formats, session length, completion and discounts.
GROUP_WEIGHTS = {"volume": 0.5, "recency": 0.5}
Z = pa.struct([("feature", pa.string()), ("z", pa.float64())])
SCHEMA = pa.schema(
    [
        ("cluster_id", pa.int64()),
        ("cluster_name", pa.string()),
        ("users", pa.int64()),
        ("centroid_z", pa.list_(Z)),
        ("distinctive_features", pa.list_(Z)),
        ("k", pa.int64()),
        ("k_chosen_by", pa.string()),
        ("silhouette", pa.float64()),
        ("baseline_silhouette", pa.float64()),
        ("silhouette_by_k", pa.string()),
        ("sample_rows", pa.int64()),
        ("iterations", pa.int64()),
        ("converged", pa.bool_()),
        ("user_keys", pa.list_(pa.int64())),
        ("distances", pa.list_(pa.float64())),
    ]
)


def _features(dbt):
    """(user keys, feature names, rows x features in model units), in user_key order."""
    behaviour = dbt.ref("int_user_behaviour_aggregated")
    used = [name for name in FEATURES if name in behaviour.columns]
    data = behaviour.select(", ".join(["user_key", *used])).order("user_key").fetchnumpy()
    columns = []
    for name in used:
        values = np.nan_to_num(np.asarray(data[name], dtype=np.float64))
        columns.append(np.log1p(np.maximum(values, 0.0)) if FEATURES[name][0] else values)
    x = np.column_stack(columns) if used else np.zeros((len(data["user_key"]), 0))
    return np.asarray(data["user_key"], dtype=np.int64), used, x


def weights(used: list[str]) -> np.ndarray:
    """Each feature's weight on its z-score: its group's weight over sqrt(the group's size)."""
    groups = [FEATURES[f][1] for f in used]
    return np.array([GROUP_WEIGHTS.get(g, 1.0) / np.sqrt(groups.count(g)) for g in groups])


def model(dbt, session):
    dbt.config(materialized="table")
    from learnmart.udfs import clusters as cl

    params = dbt.ref("int_cluster_parameters_resolved").fetchnumpy()
    pinned = None if np.ma.getmaskarray(params["cluster_k"])[0] else int(params["cluster_k"][0])
    keys, used, x = _features(dbt)
    z, _, _ = cl.standardize(x)
    w = weights(used)
    fit = cl.fit(
        z * w,
        int(params["cluster_k_min"][0]),
        int(params["cluster_k_max"][0]),
        k=pinned,
        seed=int(params["cluster_seed"][0]),
        sample_rows=int(params["cluster_sample_rows"][0]),
    )
    return _table(fit, keys, used, pinned, w)


def _table(fit, keys, used, pinned, w):
    from learnmart.udfs import clusters as cl

    result = fit.clustering
    k = len(result.centroids)
    centroids = result.centroids.astype(np.float64) / w  # back to z-scores of each feature
    names = cl.names(centroids, [FEATURES[f][2:] for f in used], top=3)
    order = np.argsort(result.labels, kind="stable")
    bounds = np.searchsorted(result.labels[order], np.arange(k + 1))
    scores = ", ".join(f"{c}: {s:.3f}" for c, s in sorted(fit.k_scores.items()))
    rows = {name: [] for name in SCHEMA.names[:-2]}
    for c in range(k):
        centre = centroids[c]
        top = np.argsort(-np.abs(centre), kind="stable")[:3]
        values = {
            "cluster_id": c,
            "cluster_name": names[c],
            "users": int(bounds[c + 1] - bounds[c]),
            "centroid_z": [{"feature": f, "z": float(v)} for f, v in zip(used, centre, strict=True)],
            "distinctive_features": [{"feature": used[j], "z": float(centre[j])} for j in top if abs(centre[j]) >= 0.5],
            "k": k,
            "k_chosen_by": "var cluster_k" if pinned is not None else "silhouette",
            "silhouette": fit.silhouette,
            "baseline_silhouette": fit.baseline,
            "silhouette_by_k": scores or None,
            "sample_rows": fit.sample_rows,
            "iterations": result.iterations,
            "converged": result.converged,
        }
        for name, value in values.items():
            rows[name].append(value)
    # members as parallel lists cut from the rows sorted by cluster (no Python loop over users)
    offsets = pa.array(bounds.astype(np.int32))
    columns = [pa.array(rows[name], type=SCHEMA.field(name).type) for name in SCHEMA.names[:-2]]
    columns.append(pa.ListArray.from_arrays(offsets, pa.array(keys[order], type=pa.int64())))
    columns.append(pa.ListArray.from_arrays(offsets, pa.array(result.distances[order].astype(np.float64))))
    return pa.Table.from_arrays(columns, schema=SCHEMA)
