{#-
    One row per catalog course, as the recommender sees it: whether it may be recommended
    (published at as-of), its popularity prior (0 when nobody engaged with it) and its
    overall fill rank (1000 + popularity rank for the var('rec_k') + var('rec_history_courses')
    most popular courses, which rank behind any segment favourite; NULL beyond).
-#}
with

courses as (
    select * from {{ ref('int_courses_keyed') }}
),

popularity as (
    select * from {{ ref('int_course_popularity_ranked') }}
),

context as (
    select as_of from {{ ref('int_build_context_resolved') }}
),

final as (
    select
        courses.course_key,
        coalesce(courses.published_at is null or courses.published_at <= context.as_of, false) as is_available,
        coalesce(popularity.popularity_score, 0.0) as popularity_score,
        case
            when popularity.popularity_rank <= {{ var('rec_k') }} + {{ var('rec_history_courses') }}
                then 1000 + popularity.popularity_rank
        end as overall_fill_rank
    from courses
    cross join context
    left join popularity on courses.course_key = popularity.course_key
)

select * from final
order by course_key
