"""One row per (course, neighbour course): the item-item weights user_recommendations scores with.

The recommender int_recommenders_compared chose (var rec_similarity: auto, or the one the
var names), fitted on every user's interactions with learnmart.udfs.item_models: cosine,
jaccard, lift, RP3beta or EASE (signed weights kept). Up to var rec_dense_max_courses
courses the whole matrix is fitted and every non-zero weight kept unless a course has more
than var rec_neighbors; above it the sparse path builds the weights from the non-zero
co-occurrences only and keeps each course's var rec_sparse_neighbors strongest (by absolute
weight). neighbors_found and neighbors_limit tell model_health whether a limit bound.
"""

import numpy as np
import pyarrow as pa

SCHEMA = pa.schema(
    [
        ("course_key", pa.int64()),
        ("other_course_key", pa.int64()),
        ("similarity", pa.float64()),
        ("neighbors_found", pa.int64()),
        ("neighbors_limit", pa.int64()),
    ]
)


def model(dbt, session):
    dbt.config(materialized="table")
    from learnmart.udfs import item_models as im

    params = dbt.ref("int_model_parameters_resolved").fetchnumpy()
    keep = int(params["rec_neighbors"][0])
    chosen = dbt.ref("int_recommenders_compared").filter("chosen").fetchnumpy()
    candidate = im.Candidate(str(chosen["candidate"][0]), str(chosen["kind"][0]), float(chosen["parameter"][0]))
    courses = dbt.ref("int_recommendation_courses_prepared").order("course_key").fetchnumpy()
    keys = np.asarray(courses["course_key"], dtype=np.int64)
    rows = (
        dbt.ref("int_recommender_interactions_weighted")
        .select("user_key, course_key, weight")
        .order("user_key, course_key")
        .fetchnumpy()
    )
    data = im.Interactions.from_keys(rows["user_key"], rows["course_key"], rows["weight"], keys)
    if len(keys) > int(params["rec_dense_max_courses"][0]):
        keep = min(keep, int(params["rec_sparse_neighbors"][0]))
        s, found = im.fit_sparse(candidate, data, keep)
        src, dst, weight = s.rows, s.cols, s.values
    else:
        s = im.fit(candidate, data)
        found = np.count_nonzero(s, axis=1)
        src, dst = np.nonzero(s)
        weight = s[src, dst]
        if found.max(initial=0) > keep:
            strength = np.where(s != 0, np.abs(s), -1.0)
            top = np.argsort(-strength, axis=1, kind="stable")[:, :keep]
            src = np.repeat(np.arange(len(keys)), top.shape[1])
            dst = top.reshape(-1)
            weight = s[src, dst]
            src, dst, weight = src[weight != 0], dst[weight != 0], weight[weight != 0]
    return pa.table(
        [keys[src], keys[dst], weight, found[src].astype(np.int64), np.full(len(src), keep, dtype=np.int64)],
        schema=SCHEMA,
    )
