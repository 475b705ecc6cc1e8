{#-
    One row per user x snapshot: R, F, M scores, the named RFM segment from the seed
    rfm_segment_rules, and the lifecycle stage.

    Scores are quintiles over paying users (at least one paid order that is not fully
    refunded) of the same snapshot: score = 1 + floor(5 * percent_rank), capped at 5, so
    tied values always share a score (the lowest their rank allows) and the result does
    not depend on row order. R ranks recency descending (recent = 5), F paid orders and M
    net revenue ascending. Users who never paid (or whose only orders were refunded) get
    no scores, segment 'Prospect' and stage 'prospect'.
-#}
with

snapshots as (
    select * from {{ ref('int_user_snapshots') }}
),

rules as (
    select * from {{ ref('rfm_segment_rules') }}
),

scored as (
    select
        snapshot,
        user_id,
        least(5, 1 + floor(5 * percent_rank() over (
            partition by snapshot order by recency_days desc
        ))) as r_score,
        least(5, 1 + floor(5 * percent_rank() over (
            partition by snapshot order by paid_orders
        ))) as f_score,
        least(5, 1 + floor(5 * percent_rank() over (
            partition by snapshot order by monetary
        ))) as m_score
    from snapshots
    where paid_orders > 0
),

segmented as (
    select
        scored.snapshot,
        scored.user_id,
        cast(scored.r_score as integer) as r_score,
        cast(scored.f_score as integer) as f_score,
        cast(scored.m_score as integer) as m_score,
        rules.rfm_segment
    from scored
    left join rules
        on scored.r_score between rules.r_min and rules.r_max
        and scored.f_score between rules.f_min and rules.f_max
        and scored.m_score between rules.m_min and rules.m_max
),

final as (
    select
        snapshots.snapshot,
        snapshots.user_id,
        segmented.r_score,
        segmented.f_score,
        segmented.m_score,
        case
            when segmented.user_id is null then 'Prospect'
            else coalesce(segmented.rfm_segment, 'Unclassified')
        end as rfm_segment,
        case
            when snapshots.paid_orders = 0 then 'prospect'
            when snapshots.first_order_at > snapshots.snapshot_at - interval {{ var('lifecycle_new_days') }} day
                then 'new'
            when coalesce(snapshots.days_since_last_seen, 1e9) <= {{ var('lifecycle_active_days') }} then 'active'
            when snapshots.days_since_last_seen <= {{ var('lifecycle_at_risk_days') }} then 'at_risk'
            when snapshots.days_since_last_seen <= {{ var('lifecycle_dormant_days') }} then 'dormant'
            else 'churned'
        end as lifecycle_stage
    from snapshots
    left join segmented
        on snapshots.snapshot = segmented.snapshot and snapshots.user_id = segmented.user_id
)

select * from final
