"""One row per (course, similar course) by content: the cosine of their content vectors
(int_courses_vectorized), each course's top var content_neighbors among the courses
that share its category or a tag and have a positive cosine (ties: the lower course id).
Read by the recommender and published as course_similarity.

Scored in numpy (learnmart.udfs.item_models.content_neighbors), a batch of courses against
the whole catalog at a time: a category of thousands of courses has millions of candidate
pairs, which are never all held at once.
"""

import numpy as np
import pyarrow as pa

SCHEMA = pa.schema(
    [
        ("course_id", pa.string()),
        ("other_course_id", pa.string()),
        ("content_cosine", pa.float64()),
        ("neighbor_rank", pa.int32()),
        ("course_key", pa.int64()),
        ("other_course_key", pa.int64()),
    ]
)


def model(dbt, session):
    dbt.config(materialized="table")
    from learnmart.udfs import item_models as im

    params = dbt.ref("int_model_parameters_resolved").fetchnumpy()
    vectors_rel = dbt.ref("int_courses_vectorized")
    table = vectors_rel.order("course_key").to_arrow_table()
    keys = table["course_key"].to_numpy().astype(np.int64)
    ids = np.asarray(table["course_id"].to_pylist(), dtype=object)
    lists = table["content_vector"].combine_chunks()
    width = len(lists[0]) if len(lists) else 0
    vectors = lists.flatten().to_numpy(zero_copy_only=False).astype(np.float64).reshape(len(keys), width)
    categories = np.asarray([c if c is not None else "" for c in table["category"].to_pylist()], dtype=object)
    names, codes = np.unique(categories.astype(str), return_inverse=True)
    codes = np.where(categories == "", -1, codes)  # no category: shares none

    courses_rel = dbt.ref("int_courses_keyed")
    tags = courses_rel.select("course_key, unnest(tags) as tag").order("course_key").fetchnumpy()
    tag_keys = np.asarray(tags["course_key"], dtype=np.int64)
    at = np.searchsorted(keys, tag_keys)
    known = (at < len(keys)) & (keys[np.minimum(at, max(len(keys) - 1, 0))] == tag_keys) if len(keys) else at < 0
    tag_names, tag_ids = np.unique(np.asarray(tags["tag"], dtype=object)[known].astype(str), return_inverse=True)
    tag_indptr = np.searchsorted(at[known], np.arange(len(keys) + 1))

    order = np.empty(len(ids), dtype=np.int64)
    order[np.argsort(ids.astype(str), kind="stable")] = np.arange(len(ids))
    src, dst, cosine, rank = im.content_neighbors(
        vectors, codes, tag_indptr, tag_ids.astype(np.int64), order, int(params["content_neighbors"][0])
    )
    return pa.table(
        [ids[src], ids[dst], cosine, rank.astype(np.int32), keys[src], keys[dst]],
        schema=SCHEMA,
    )
