"""One row per evaluated user x rank: the top-k of pure SAR, computed in the same run.

SAR as Microsoft Recommenders defines it: jaccard similarity over binary co-occurrence, the
user's time-decayed affinity (int_interactions_weighted), scores A x S, no content, no
popularity prior, no caps. Taken and unpublished courses are skipped, as for every ranker,
and equal scores (users SAR knows nothing about) go to the more popular course, as in the
model's lists, so that the two differ only in what SAR scores.
Empty unless var eval_split is set (int_eval_relevant_courses_selected has users only then).
"""

import numpy as np
import pyarrow as pa

SCHEMA = pa.schema(
    [("ranker", pa.string()), ("user_id", pa.string()), ("course_id", pa.string()), ("rank", pa.int64())]
)


def model(dbt, session):
    dbt.config(materialized="table")
    from learnmart.udfs import item_models as im

    params = dbt.ref("int_model_parameters_resolved").fetchnumpy()
    k = int(params["rec_k"][0])
    evaluated = dbt.ref("int_eval_relevant_courses_selected").select("user_id").distinct().fetchnumpy()
    eval_users = np.asarray(evaluated["user_id"], dtype=object)
    if not len(eval_users):
        return pa.table({name: [] for name in SCHEMA.names}, schema=SCHEMA)
    courses = dbt.ref("int_recommendation_courses_prepared").order("course_key").fetchnumpy()
    ids = dbt.ref("int_courses_keyed").order("course_key").select("course_key, course_id").fetchnumpy()
    keys = np.asarray(courses["course_key"], dtype=np.int64)
    course_ids = np.asarray(ids["course_id"], dtype=object)[np.searchsorted(ids["course_key"], keys)]
    rows = (
        dbt.ref("int_interactions_weighted")
        .select("user_id, course_key, greatest(affinity, 0) as weight, is_taken")
        .order("user_id, course_key")
        .fetchnumpy()
    )
    users, user_pos = np.unique(np.asarray(rows["user_id"], dtype=object), return_inverse=True)
    course_pos = np.searchsorted(keys, np.asarray(rows["course_key"], dtype=np.int64))
    data = im.Interactions.from_pairs(user_pos, course_pos, rows["weight"], len(users), len(keys))
    taken = im.Interactions.from_pairs(
        user_pos, course_pos, np.asarray(rows["is_taken"], dtype=np.float64), len(users), len(keys)
    )
    if len(keys) <= int(params["rec_dense_max_courses"][0]):
        s = im.similarity("jaccard", im.cooccurrence(data))
    else:  # every non-zero weight, without an n x n array
        s = im.fit_sparse(im.Candidate("sar", "jaccard"), data, keep=len(keys))[0]
    found = np.isin(eval_users, users)
    eval_users = eval_users[found]
    positions = np.searchsorted(users, eval_users)
    out = {name: [] for name in SCHEMA.names}
    available = np.asarray(courses["is_available"], dtype=bool)
    popularity = np.asarray(courses["popularity_score"], dtype=np.float64)
    step = max(1, (1 << 22) // max(len(keys), 1))
    for lo in range(0, len(positions), step):
        batch = positions[lo : lo + step]
        exclude = (taken.dense(batch) > 0) | ~available[None, :]
        top = im.top_k_scores(data.dense(batch), s, exclude, k, popularity)
        for user, picks in zip(eval_users[lo : lo + step], top, strict=True):
            picks = picks[picks >= 0]
            out["ranker"] += ["sar"] * len(picks)
            out["user_id"] += [user] * len(picks)
            out["course_id"] += list(course_ids[picks])
            out["rank"] += list(range(1, len(picks) + 1))
    return pa.table(out, schema=SCHEMA)
