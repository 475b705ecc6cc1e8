{#-
    One row per user x course, as the item models learn from it: the weight a user's
    history gives the course (positive affinity; 0 for a refunded course, which
    int_recommendation_history_weighted leaves out too), whether it is taken (never recommended),
    whether it was refunded (then it is no held-out course to predict either) and when the
    user took it (first purchase, completion, rating or refund; else the last event). Read by int_recommenders_compared and int_course_neighbors_fitted.
-#}
with

interactions as (
    select * from {{ ref('int_interactions_weighted') }}
),

relations as (
    select user_id, course_id, is_refunded, first_taken_at from {{ ref('int_course_relations_resolved') }}
),

final as (
    select
        interactions.user_key,
        interactions.course_key,
        case
            when coalesce(relations.is_refunded, false) then 0.0
            else greatest(interactions.affinity, 0.0)
        end as weight,
        interactions.is_taken,
        coalesce(relations.is_refunded, false) as is_refunded,
        -- a taken course is as recent as its taking (a later view does not make it new)
        epoch(coalesce(relations.first_taken_at, interactions.last_event_at)) as last_seen
    from interactions
    left join relations
        on interactions.user_id = relations.user_id and interactions.course_id = relations.course_id
)

select * from final
