{#-
    One row per course any user engaged with positively: how many users (all time in the
    window, and time-decayed), the popularity prior of recommendations (log-scaled to
    0..1), and its rank.
-#}
with

interactions as (
    select * from {{ ref('int_interactions_weighted') }}
    where affinity > 0
),

counted as (
    select
        course_key,
        course_id,
        count(*) as users,
        sum(least(affinity, 5.0)) as decayed_engagement
    from interactions
    group by all
),

final as (
    select
        course_key,
        course_id,
        users,
        decayed_engagement,
        ln(1 + decayed_engagement) / nullif(max(ln(1 + decayed_engagement)) over (), 0) as popularity_score,
        row_number() over (order by decayed_engagement desc, course_id) as popularity_rank
    from counted
)

select * from final
