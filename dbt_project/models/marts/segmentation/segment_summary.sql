{#- One row per RFM segment (Prospect included): size, revenue and averages, as of the build. -#}
with

segments as (
    select * from {{ ref('user_segments') }}
),

features as (
    select * from {{ ref('user_features') }}
),

per_segment as (
    select
        segments.rfm_segment,
        count(*) as users,
        sum(features.monetary) as revenue,
        avg(features.recency_days) as avg_recency_days,
        avg(features.frequency) as avg_frequency,
        avg(features.monetary) as avg_monetary,
        avg(segments.purchase_propensity) as avg_purchase_propensity
    from segments
    inner join features on segments.user_id = features.user_id
    group by segments.rfm_segment
),

final as (
    select
        rfm_segment,
        users,
        users / sum(users) over () as share_of_users,
        cast(revenue as decimal(18, 2)) as revenue,
        case when sum(revenue) over () != 0 then revenue / sum(revenue) over () end as share_of_revenue,
        avg_recency_days,
        avg_frequency,
        cast(avg_monetary as decimal(18, 2)) as avg_monetary,
        avg_purchase_propensity
    from per_segment
)

select * from final
