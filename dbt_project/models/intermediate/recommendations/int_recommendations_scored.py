"""One row per user x rank (1..var rec_k): the scored top-k behind user_recommendations.

Reads the SQL-prepared inputs (history weights, neighbours, content similarity, course
availability and popularity, segment fill ranks, taken courses), maps keys to positions,
and hands them to the numpy kernel ``learnmart.udfs.recommend.top_k``, which scores every
available, untaken course for every user in dense batches. The formula and tie rules are
documented there; user_recommendations turns the keys into ids, titles and reasons.
"""

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from learnmart.udfs import recommend
from learnmart.udfs.item_models import Sparse

SCHEMA = pa.schema(
    [
        ("user_key", pa.int64()),
        ("rank", pa.int32()),
        ("course_key", pa.int64()),
        ("score", pa.float64()),
        ("cf_score", pa.float64()),
        ("content_score", pa.float64()),
        ("popularity_score", pa.float64()),
        ("cf_source_course_key", pa.int64()),
        ("content_source_course_key", pa.int64()),
        ("is_segment_fill", pa.bool_()),
    ]
)


def _positions(sorted_keys, keys, what):
    """Positions of ``keys`` in ``sorted_keys``; every key must be there."""
    keys = np.asarray(keys, dtype=np.int64)
    pos = np.searchsorted(sorted_keys, keys)
    if len(keys) and (pos.max() >= len(sorted_keys) or not np.array_equal(sorted_keys[pos], keys)):
        raise ValueError(f"int_recommendations_scored: a {what} key is not in its keyed table")
    return pos


def _strings(column):
    return pc.fill_null(column, "").to_numpy(zero_copy_only=False).astype(str)


def model(dbt, session):
    dbt.config(materialized="table")
    params = dbt.ref("int_model_parameters_resolved").fetchnumpy()
    course_rel = dbt.ref("int_recommendation_courses_prepared")
    courses = course_rel.order("course_key").fetchnumpy()
    course_keys = np.asarray(courses["course_key"], dtype=np.int64)
    n = len(course_keys)
    # above the cap two n x n arrays would not fit: the neighbour rows are kept sparse
    matrix = recommend.dense_similarity if n <= int(params["rec_dense_max_courses"][0]) else Sparse.from_triples

    user_rel = dbt.ref("int_recommendation_users_prepared")
    users = user_rel.order("user_key").to_arrow_table()
    user_keys = users["user_key"].to_numpy().astype(np.int64)
    fill_rel = dbt.ref("int_recommendation_fill_ranked")
    if str(params["rec_fill"][0]) != "segment":  # var rec_fill popularity: overall popularity only
        fill_rel = fill_rel.filter("false")
    fill = fill_rel.to_arrow_table()
    segment_names = np.unique(_strings(fill["rfm_segment"]))
    user_segments = _strings(users["rfm_segment"])
    # a segment without favourites (e.g. pure prospects) fills from overall popularity only
    user_segment = np.where(np.isin(user_segments, segment_names), np.searchsorted(segment_names, user_segments), -1)

    # the blend weights come with the recommender int_recommenders_compared chose
    chosen = dbt.ref("int_recommenders_compared").filter("chosen").fetchnumpy()
    overall = np.asarray(courses["overall_fill_rank"], dtype=np.float64)
    overall = np.where(np.ma.getmaskarray(courses["overall_fill_rank"]), np.inf, overall)
    fill_rank, fill_from_segment = recommend.fill_ranks(
        n,
        len(segment_names),
        np.searchsorted(segment_names, _strings(fill["rfm_segment"])),
        _positions(course_keys, fill["course_key"].to_numpy(), "course"),
        fill["fill_rank"].to_numpy().astype(np.float64),
        overall,
    )

    neighbor_rel = dbt.ref("int_course_neighbors_fitted")
    neighbors = neighbor_rel.select("course_key, other_course_key, similarity").fetchnumpy()
    content_rel = dbt.ref("int_course_pairs_content_scored")
    content = content_rel.select("course_key, other_course_key, content_cosine").fetchnumpy()
    catalog = recommend.Catalog(
        course_keys=course_keys,
        available=np.asarray(courses["is_available"], dtype=bool),
        popularity=np.asarray(courses["popularity_score"], dtype=np.float64),
        cf_similarity=matrix(
            _positions(course_keys, neighbors["course_key"], "course"),
            _positions(course_keys, neighbors["other_course_key"], "course"),
            neighbors["similarity"],
            n,
        ),
        content_similarity=matrix(
            _positions(course_keys, content["course_key"], "course"),
            _positions(course_keys, content["other_course_key"], "course"),
            content["content_cosine"],
            n,
        ),
        fill_rank=fill_rank,
        fill_from_segment=fill_from_segment,
    )

    history_rel = dbt.ref("int_recommendation_history_weighted")
    history = history_rel.order("user_key, course_key").fetchnumpy()  # the kernel's order: no sort there
    taken_rel = dbt.ref("int_interactions_weighted")
    taken = taken_rel.filter("is_taken").select("user_key, course_key").fetchnumpy()
    top = recommend.top_k(
        catalog,
        user_segment,
        _positions(user_keys, history["user_key"], "user"),
        _positions(course_keys, history["course_key"], "course"),
        np.asarray(history["weight"], dtype=np.float64),
        _positions(user_keys, taken["user_key"], "user"),
        _positions(course_keys, taken["course_key"], "course"),
        k=int(params["rec_k"][0]),
        w_cf=float(chosen["w_cf"][0]),
        w_content=float(chosen["w_content"][0]),
        w_pop=float(chosen["w_popularity"][0]),
        # as many threads as DuckDB may use: the machine's cores, or the profile's `threads` setting
        workers=int(session.sql("select current_setting('threads') as threads").fetchnumpy()["threads"][0]),
    )

    def key_or_null(position):
        return pa.array(course_keys[np.maximum(position, 0)], mask=position < 0)

    def positive_or_null(values):
        return pa.array(values, mask=~(values > 0))

    return pa.table(
        [
            user_keys[top["user"]],
            pa.array(top["rank"], type=pa.int32()),
            course_keys[top["course"]],
            top["score"],
            positive_or_null(top["cf_score"]),
            positive_or_null(top["content_score"]),
            top["popularity_score"],
            key_or_null(top["cf_source"]),
            key_or_null(top["content_source"]),
            top["segment_fill"],
        ],
        schema=SCHEMA,
    )
