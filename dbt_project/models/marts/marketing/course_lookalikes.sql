{#-
    One row per course x marketable user who has not taken it and has it among their
    recommendations: the "people like this course's buyers" audience - co-engagement with
    what its buyers took is exactly what put it in their list. Pseudonymous keys only;
    ranked by recommendation score within the course.
-#}
with

recommendations as (
    select user_id, course_id, score from {{ ref('user_recommendations') }}
),

marketable as (
    select * from {{ ref('int_marketable_users_filtered') }}
),

final as (
    select
        recommendations.course_id,
        marketable.user_key,
        recommendations.score,
        cast(row_number() over (
            partition by recommendations.course_id order by recommendations.score desc, marketable.user_key
        ) as integer) as lookalike_rank
    from recommendations
    inner join marketable on recommendations.user_id = marketable.user_id
)

select * from final
