{#-
    One row per user x snapshot: R, F, M scores, the named RFM segment from the seed
    rfm_segment_rules, and the lifecycle stage.

    Scores rank paying users (at least one paid order that is not fully refunded) of the
    same snapshot: R by recency descending (recent = 5), F by paid orders and M by net
    revenue ascending. With more than five distinct values a score is the quintile of the
    value's percentile, a tie taking the middle of its ranks, and at most the value's
    position among the distinct values (the k-th lowest scores at most k); with fewer,
    the distinct values spread evenly over 1..5 (one value: R 5, F and M 1). R is also at
    most the band of the absolute recency: 5 within lifecycle_active_days, 4 within
    lifecycle_at_risk_days, 3 within lifecycle_dormant_days, 2 within twice that, else 1.
    Ties share a score and nothing depends on row order.
    Users who never paid get no scores, segment 'Prospect' and stage 'prospect'; users
    whose every order was refunded get segment 'Refunded' and stage 'refunded'.
-#}
with

snapshots as (
    select * from {{ ref('int_user_snapshots_aggregated') }}
),

rules as (
    select * from {{ ref('rfm_segment_rules') }}
),

ranked as (
    -- per score: the value's percentile at the middle of its tie, and its position among
    -- the distinct values (1 = the lowest)
    select
        snapshot,
        user_id,
        recency_days,
        {%- for score, measure, value in [
            ('r', 'recency_days desc', 'recency_days'), ('f', 'paid_orders', 'paid_orders'),
            ('m', 'monetary', 'monetary')] %}
        percent_rank() over (partition by snapshot order by {{ measure }})
            + (count(*) over (partition by snapshot, {{ value }}) - 1)
            / (2.0 * greatest(count(*) over (partition by snapshot) - 1, 1)) as {{ score }}_percentile,
        dense_rank() over (partition by snapshot order by {{ measure }}) as {{ score }}_level
        {{- ',' if not loop.last }}
        {%- endfor %}
    from snapshots
    where paid_orders > 0
),

leveled as (
    select
        *,
        {%- for score in ['r', 'f', 'm'] %}
        max({{ score }}_level) over (partition by snapshot) as {{ score }}_levels
        {{- ',' if not loop.last }}
        {%- endfor %}
    from ranked
),

scored as (
    -- more than five distinct values: the quintile of the tie's middle, at most the value's
    -- position (so a heavy tie at the bottom, most buyers with one order, is followed by
    -- 2, 3, ... instead of a jump); fewer: the values spread evenly over 1..5. R is also at
    -- most the band of the absolute recency, so a buyer silent for months is never
    -- scored recent however old everyone else's orders are.
    select
        snapshot,
        user_id,
        {%- for score in ['r', 'f', 'm'] %}
        case
            when {{ score }}_levels > 5
                then least(5, 1 + floor(5 * {{ score }}_percentile), {{ score }}_level)
            when {{ score }}_levels = 1 then {{ 5 if score == 'r' else 1 }}
            else 1 + floor(4.0 * ({{ score }}_level - 1) / ({{ score }}_levels - 1))
        end as {{ score }}_relative,
        {%- endfor %}
        case
            when recency_days <= {{ var('lifecycle_active_days') }} then 5
            when recency_days <= {{ var('lifecycle_at_risk_days') }} then 4
            when recency_days <= {{ var('lifecycle_dormant_days') }} then 3
            when recency_days <= 2 * {{ var('lifecycle_dormant_days') }} then 2
            else 1
        end as r_band
    from leveled
),

segmented as (
    select
        scored.snapshot,
        scored.user_id,
        cast(least(scored.r_relative, scored.r_band) as integer) as r_score,
        cast(scored.f_relative as integer) as f_score,
        cast(scored.m_relative as integer) as m_score,
        rules.rfm_segment
    from scored
    left join rules
        on least(scored.r_relative, scored.r_band) between rules.r_min and rules.r_max
        and scored.f_relative between rules.f_min and rules.f_max
        and scored.m_relative between rules.m_min and rules.m_max
),

final as (
    select
        snapshots.snapshot,
        snapshots.user_id,
        segmented.r_score,
        segmented.f_score,
        segmented.m_score,
        case
            when segmented.user_id is null and snapshots.orders_placed > 0 then 'Refunded'
            when segmented.user_id is null then 'Prospect'
            else coalesce(segmented.rfm_segment, 'Unclassified')
        end as rfm_segment,
        case
            when snapshots.paid_orders = 0 and snapshots.orders_placed > 0 then 'refunded'
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
