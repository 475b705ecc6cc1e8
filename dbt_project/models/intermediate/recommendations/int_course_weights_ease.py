"""One row per (course, other course): EASE item weights (Steck 2019), top N per course.

EASE is a ridge regression of each course's column of the user x course matrix X on all
other columns, with the closed form  P = (X'X + lambda I)^-1,  B = -P / diag(P), diag(B) = 0.
X'X is exactly the co-occurrence that int_course_pairs_counted holds (off-diagonal) plus
each course's user count (diagonal), so numpy solves it from those tables in one inverse.
Skipped (no rows) above var('ease_max_courses') courses, where the dense inverse would not
fit; user_recommendations then falls back to jaccard.
"""

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    params_rel = dbt.ref("int_model_parameters")
    params = params_rel.fetchnumpy()
    l2 = float(params["ease_l2"][0])
    cap = int(params["ease_max_courses"][0])
    keep = int(params["rec_neighbors"][0])
    schema = pa.schema([("course_key", pa.int64()), ("other_course_key", pa.int64()), ("weight", pa.float64())])

    pop = dbt.ref("int_course_popularity").select("course_key, users").order("course_key").fetchnumpy()
    keys = np.asarray(pop["course_key"], dtype=np.int64)
    n = len(keys)
    if n == 0 or n > cap:
        return pa.table({"course_key": [], "other_course_key": [], "weight": []}, schema=schema)
    pairs = dbt.ref("int_course_pairs_counted").fetchnumpy()
    # keys are sorted and every pair's courses have users: positions by binary search
    rows = np.searchsorted(keys, np.asarray(pairs["course_key"], dtype=np.int64))
    cols = np.searchsorted(keys, np.asarray(pairs["other_course_key"], dtype=np.int64))
    gram = np.zeros((n, n))
    gram[rows, cols] = np.asarray(pairs["co_users"], dtype=np.float64)
    gram[np.arange(n), np.arange(n)] = np.asarray(pop["users"], dtype=np.float64) + l2
    p = np.linalg.inv(gram)
    b = -p / np.diag(p)
    np.fill_diagonal(b, -np.inf)
    k = min(keep, n - 1)
    if k <= 0:
        return pa.table({"course_key": [], "other_course_key": [], "weight": []}, schema=schema)
    top = np.argpartition(-b, k - 1, axis=1)[:, :k]
    src = np.repeat(np.arange(n), k)
    dst = top.reshape(-1)
    w = b[src, dst]
    ok = w > 0
    return pa.table(
        {"course_key": keys[src[ok]], "other_course_key": keys[dst[ok]], "weight": w[ok]},
        schema=schema,
    )
