{#-
    One row per (course, similar course) by content, read by the recommender and published
    as course_similarity: the cosine of their content vectors
    (numpy UDF cosine_similarity), keeping each course's top var('content_neighbors').
    Candidate pairs share the category or at least one tag, so the pair count grows with
    the size of those groups, not with the square of the catalog.
-#}
with

vectors as (
    select * from {{ ref('int_course_content_vectors') }}
),

candidate_pairs as (
    select distinct
        a.course_key,
        b.course_key as other_course_key
    from vectors as a
    inner join vectors as b
        on a.category = b.category and a.course_key != b.course_key
    union
    select
        a.course_key,
        b.course_key
    from (
        select course_key, unnest(tags) as tag from {{ ref('int_courses_keyed') }}
    ) as a
    inner join (
        select course_key, unnest(tags) as tag from {{ ref('int_courses_keyed') }}
    ) as b
        on a.tag = b.tag and a.course_key != b.course_key
),

scored as (
    select
        pairs.course_key,
        pairs.other_course_key,
        a.course_id,
        b.course_id as other_course_id,
        cosine_similarity(a.content_vector, b.content_vector) as content_cosine
    from candidate_pairs as pairs
    inner join vectors as a on pairs.course_key = a.course_key
    inner join vectors as b on pairs.other_course_key = b.course_key
),

ranked as (
    select
        *,
        row_number() over (
            partition by course_key order by content_cosine desc, other_course_id
        ) as neighbor_rank
    from scored
    where content_cosine > 0
),

final as (
    select
        course_id,
        other_course_id,
        cast(content_cosine as double) as content_cosine,
        cast(neighbor_rank as integer) as neighbor_rank,
        course_key,
        other_course_key
    from ranked
    where neighbor_rank <= {{ var('content_neighbors', 20) }}
)

select * from final
