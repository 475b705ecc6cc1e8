{#-
    One row per user x history course that recommendations are scored from: the user's
    strongest var('rec_history_courses') courses with positive affinity (a refunded course
    is none of them: it says what the user did not want), each weighted by
    its share of the user's total affinity over them (so a heavy user's scores are on the
    same scale as a light user's). Taken courses stay in: having bought X is the best
    reason to suggest what goes with X.
-#}
with

interactions as (
    select * from {{ ref('int_interactions_weighted') }}
    where affinity > 0
),

refunded as (
    select user_id, course_id from {{ ref('int_course_relations_resolved') }}
    where is_refunded
),

strongest as (
    select interactions.user_key, interactions.course_key, interactions.affinity
    from interactions
    anti join refunded
        on interactions.user_id = refunded.user_id and interactions.course_id = refunded.course_id
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
