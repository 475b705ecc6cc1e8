{#-
    One row per demographic attribute x value with at least var('k_anonymity') users: how
    many users, their share, revenue, learning time and completion. A value held by fewer
    users is never shown: it is folded into the row '(other)' of its attribute, with the
    smallest shown values added until '(other)' itself holds k users, so no row counts fewer
    than k users and no small value's count can be worked out by subtraction. Users without
    the attribute are the value '(not given)', under the same rule.
-#}
with

users as (
    select * from {{ ref('int_users_keyed') }}
),

features as (
    select * from {{ ref('user_features') }}
),

demographics as (
    select user_key, age_band, gender, region, occupation, education from users
),

unpivoted as (
    select *
    from demographics
    unpivot include nulls (value for attribute in (age_band, gender, region, occupation, education))
),

attributes as (
    -- one row per user x attribute
    select
        user_key,
        attribute,
        coalesce(value, '(not given)') as value
    from unpivoted
),

cells as (
    select
        attributes.attribute,
        attributes.value,
        count(*) as users
    from attributes
    group by all
),

ranked as (
    -- smallest first, the order in which values are folded: the small values come first
    select
        *,
        coalesce(sum(users) filter (where users < {{ var('k_anonymity') }}) over (partition by attribute), 0)
            as small_users,
        coalesce(sum(users) over (
            partition by attribute order by users, value rows between unbounded preceding and 1 preceding
        ), 0) as users_before
    from cells
),

labelled as (
    -- a value of k or more users is folded too while the values before it (the small ones
    -- first) hold fewer than k, so '(other)' reaches k with as few values as it can
    select
        attribute,
        value,
        case
            when users < {{ var('k_anonymity') }} then '(other)'
            when small_users > 0 and users_before < {{ var('k_anonymity') }} then '(other)'
            else value
        end as shown_value
    from ranked
),

joined as (
    select
        attributes.attribute,
        labelled.shown_value as value,
        features.monetary,
        features.learning_minutes_30d,
        features.completion_rate,
        features.frequency > 0 as is_paying
    from attributes
    inner join labelled
        on attributes.attribute = labelled.attribute and attributes.value = labelled.value
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
