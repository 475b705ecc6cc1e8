{#-
    One row per RFM segment x course among the segment's var('rec_k') + var('rec_history_courses')
    favourites: the courses its users engaged with most (time-decayed, each user's affinity
    capped at 5 so one heavy user cannot make a favourite). These fill a user's list when
    the history gives too few candidates, and are the whole list for a cold start.
-#}
with

interactions as (
    select * from {{ ref('int_interactions_weighted') }}
    where affinity > 0
),

users as (
    select * from {{ ref('int_recommendation_users_prepared') }}
),

final as (
    select
        users.rfm_segment,
        interactions.course_key,
        row_number() over (
            partition by users.rfm_segment
            order by sum(least(interactions.affinity, 5.0)) desc, interactions.course_key
        ) as fill_rank
    from interactions
    inner join users on interactions.user_key = users.user_key
    where users.rfm_segment is not null
    group by users.rfm_segment, interactions.course_key
    qualify fill_rank <= {{ var('rec_k') }} + {{ var('rec_history_courses') }}
)

select * from final
