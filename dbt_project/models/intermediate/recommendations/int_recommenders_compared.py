"""One row per candidate recommender: how well it ranks each sampled user's latest courses.

The build holds out the latest taken courses (ceil 20%) of a seeded sample of up to var
rec_selection_users users with at least two, inside the training data, and scores every
candidate on them exactly as user_recommendations will (learnmart.udfs.item_models):
popularity, cosine, jaccard, lift, RP3beta, EASE at three penalties, and content and
popularity blends on each. With var rec_similarity auto the best nDCG@k is chosen; a fixed
rec_similarity (or pinned rec_weight_* / ease_l2) narrows the race to what it allows.
int_course_neighbors_fitted then fits the chosen model on all the data.
"""

import numpy as np
import pyarrow as pa

# too few users to compare candidates: the blend chosen on generated data before selection existed
FALLBACK = "cosine+content(0.3)+popularity(0.2)"
SCHEMA = pa.schema(
    [
        ("candidate", pa.string()),
        ("kind", pa.string()),
        ("parameters", pa.string()),
        ("parameter", pa.float64()),
        ("w_cf", pa.float64()),
        ("w_content", pa.float64()),
        ("w_popularity", pa.float64()),
        ("ndcg", pa.float64()),
        ("map", pa.float64()),
        ("recall", pa.float64()),
        ("coverage", pa.float64()),
        ("users", pa.int64()),
        ("chosen", pa.bool_()),
        ("status", pa.string()),
    ]
)


def _value(params, name):
    column = params[name]
    return None if np.ma.getmaskarray(column)[0] else column[0]


def _inputs(dbt, dense_max):
    from learnmart.udfs import item_models as im
    from learnmart.udfs.recommend import dense_similarity

    courses = dbt.ref("int_recommendation_courses_prepared").order("course_key").fetchnumpy()
    keys = np.asarray(courses["course_key"], dtype=np.int64)
    rows = (
        dbt.ref("int_recommender_interactions_weighted")
        .select("user_key, course_key, weight, is_taken, is_refunded, last_seen")
        .order("user_key, course_key")
        .fetchnumpy()
    )
    data = im.Interactions.from_keys(rows["user_key"], rows["course_key"], rows["weight"], keys)
    content_rows = (
        dbt.ref("int_course_pairs_content_scored").select("course_key, other_course_key, content_cosine").fetchnumpy()
    )
    triples = (
        np.searchsorted(keys, np.asarray(content_rows["course_key"], dtype=np.int64)),
        np.searchsorted(keys, np.asarray(content_rows["other_course_key"], dtype=np.int64)),
        np.asarray(content_rows["content_cosine"], dtype=np.float64),
    )
    # as int_recommendations_scored holds it: dense up to the cap, sparse rows above
    matrix = dense_similarity if len(keys) <= dense_max else im.Sparse.from_triples
    content = matrix(*triples, len(keys))
    extra = {
        "taken": np.asarray(rows["is_taken"], dtype=bool),
        "refunded": np.asarray(rows["is_refunded"], dtype=bool),
        "last_seen": np.asarray(rows["last_seen"], dtype=np.float64),
        "available": np.asarray(courses["is_available"], dtype=bool),
    }
    return data, content, extra


def model(dbt, session):
    dbt.config(materialized="table")
    from learnmart.udfs import item_models as im
    from learnmart.udfs.recommend import blend

    params = dbt.ref("int_model_parameters_resolved").fetchnumpy()
    kind = str(params["rec_similarity"][0])
    dense_max = int(params["rec_dense_max_courses"][0])
    data, content, extra = _inputs(dbt, dense_max)
    has_content = bool(content.any()) if isinstance(content, np.ndarray) else bool(len(content.values))
    options = im.candidates(im.course_users(data), has_content, float(params["rp3beta_beta"][0]))
    if data.n > int(params["ease_max_courses"][0]):
        options = [o for o in options if o.kind != "ease"]  # its dense inverse would not fit
    allowed = im.choosable(
        options,
        kind,
        _value(params, "ease_l2"),
        float(params["rec_weight_cf"][0]),
        _value(params, "rec_weight_content"),
        _value(params, "rec_weight_popularity"),
    )
    if not allowed:
        raise ValueError(
            f"var rec_similarity={kind} leaves no candidate: EASE is no candidate above var ease_max_courses "
            f"({int(params['ease_max_courses'][0])} courses; this catalog has {data.n}); choose another or raise it"
        )
    baseline = [o for o in options if o.kind == "popularity"]
    race = allowed + [o for o in baseline if o not in allowed]
    # a refunded course is never recommended, and no course to predict either
    holdout = im.latest_holdout(
        data,
        extra["taken"] & ~extra["refunded"],
        extra["last_seen"],
        int(params["rec_selection_users"][0]),
        int(params["eval_seed"][0]),
    )
    taken_train = _taken_rows(data, extra["taken"], holdout)
    enough = len(holdout.users) >= 20
    if enough:
        board = im.leaderboard(
            holdout,
            taken_train,
            race,
            content=content,
            available=extra["available"],
            k=int(params["rec_k"][0]),
            blend=blend,
            # above the dense cap, judged as int_course_neighbors_fitted will fit them: sparse, cut
            sparse_keep=None
            if data.n <= dense_max
            else min(int(params["rec_neighbors"][0]), int(params["rec_sparse_neighbors"][0])),
        )
        eligible = [i for i, row in enumerate(board) if row["candidate"] in allowed]
        best = max(eligible, key=lambda i: (board[i]["ndcg"], -i))
        status = f"chosen by nDCG@{int(params['rec_k'][0])} on the latest courses of {len(holdout.users)} users"
    else:
        board = [{"candidate": o, "ndcg": None, "map": None, "recall": None, "coverage": None} for o in race]
        names = [row["candidate"].name for row in board]
        allowed_at = [i for i, row in enumerate(board) if row["candidate"] in allowed]
        best = names.index(FALLBACK) if FALLBACK in names[: len(allowed)] else (allowed_at or [0])[0]
        status = (
            f"not compared: only {len(holdout.users)} users sampled with two taken courses "
            "(at least 20 are needed); the default is used"
        )
    return _table(board, best, len(holdout.users), status)


def _taken_rows(data, taken, holdout):
    """Per sampled user, the training courses that count as taken (never recommended)."""
    from learnmart.udfs import item_models as im

    marks = im.Interactions(data.indptr, data.courses, taken.astype(np.float64), data.n).dense(holdout.users) > 0
    for row, held in enumerate(holdout.held_out):
        marks[row, held] = False
    return marks


def _table(board, best, users, status):
    columns = {name: [] for name in SCHEMA.names}
    for i, row in enumerate(board):
        option = row["candidate"]
        values = {
            "candidate": option.name,
            "kind": option.kind,
            "parameters": option.parameters(),
            "parameter": option.parameter,
            "w_cf": option.w_cf,
            "w_content": option.w_content,
            "w_popularity": option.w_pop,
            "ndcg": row["ndcg"],
            "map": row["map"],
            "recall": row["recall"],
            "coverage": row["coverage"],
            "users": users,
            "chosen": i == best,
            "status": status,
        }
        for name, value in values.items():
            columns[name].append(value)
    return pa.table(columns, schema=SCHEMA)
