{#-
    One row per user x history course that recommendations are scored from: the user's
    strongest var('rec_history_courses') courses with positive affinity, each weighted by
    its share of the user's total affinity over them (so a heavy user's scores are on the
    same scale as a light user's). Taken courses stay in: having bought X is the best
    reason to suggest what goes with X.
-#}
with

interactions as (
    select * from {{ ref('int_interactions_weighted') }}
    where affinity > 0
),

strongest as (
    select user_key, course_key, affinity
    from interactions
    qualify row_number() over (
        partition by user_key order by affinity desc, course_key
    ) <= {{ var('rec_history_courses') }}
),

final as (
    select
        user_key,
        course_key,
        affinity / sum(affinity) over (partition by user_key) as weight
    from strongest
)

select * from final
