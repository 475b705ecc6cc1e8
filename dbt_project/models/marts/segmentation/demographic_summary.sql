{#-
    One row per demographic attribute x value with at least var('k_anonymity') users: how
    many users, their share, revenue, learning time and completion. The values are those of
    int_user_demographics_generalized: one held by fewer users is folded into '(other)' of
    its attribute (with the smallest shown values until '(other)' holds k), so no row counts
    fewer than k users and no small value's count can be worked out by subtraction. Users
    without the attribute are the value '(not given)', under the same rule.
-#}
with

generalized as (
    -- the values as they may be shown: rare ones already folded into '(other)'
    select * from {{ ref('int_user_demographics_generalized') }}
),

features as (
    select * from {{ ref('user_features') }}
),

attributes as (
    -- one row per user x attribute
    select user_key, attribute, value
    from generalized
    unpivot (value for attribute in ({{ demographic_attributes() | join(', ') }}))
),

joined as (
    select
        attributes.attribute,
        attributes.value,
        features.monetary,
        features.learning_minutes_30d,
        features.completion_rate,
        features.frequency > 0 as is_paying
    from attributes
    inner join features on attributes.user_key = features.user_key
),

aggregated as (
    select
        attribute,
        value,
        count(*) as users,
        sum(monetary) as revenue,
        avg(learning_minutes_30d) as avg_learning_minutes_30d,
        avg(completion_rate) as avg_completion_rate
    from joined
    group by all
),

final as (
    select
        attribute,
        value,
        users,
        users / sum(users) over (partition by attribute) as share_of_users,
        cast(revenue as decimal(18, 2)) as revenue,
        coalesce(revenue / nullif(sum(revenue) over (partition by attribute), 0), 0) as share_of_revenue,
        avg_learning_minutes_30d,
        avg_completion_rate
    from aggregated
    -- an attribute of fewer than k users in all is not shown at all
    where users >= {{ var('k_anonymity') }}
)

select * from final
order by attribute, users desc, value
