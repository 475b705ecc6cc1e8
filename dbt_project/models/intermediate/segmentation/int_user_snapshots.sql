{#-
    One row per user x snapshot. Three snapshots share one definition of every feature:
      fit       as_of - 2N days   (the propensity model used for evaluation learns here)
      evaluate  as_of - N days    (that model is judged here, out of time; the production
                                   model learns here)
      current   as_of             (what user_features / user_segments publish)
    with N = var('propensity_horizon_days'). `paid_next` is the label: a purchase in the
    N days after the snapshot (NULL for current, whose future is unknown).
    A paid order counts once it is placed and stops counting once fully refunded.
-#}
{%- set horizon = var('propensity_horizon_days') | int %}
with

context as (
    select as_of from {{ ref('int_build_context') }}
),

events as (
    select * from {{ ref('int_events_windowed') }}
),

orders as (
    select * from {{ ref('int_orders_refunded') }}
),

users as (
    select user_id, signup_ts from {{ ref('int_users_keyed') }}
),

snapshots as (
    select 'fit' as snapshot, as_of - interval {{ 2 * horizon }} day as snapshot_at, {{ 2 * horizon }} as days_before_as_of
    from context
    union all
    select 'evaluate', as_of - interval {{ horizon }} day, {{ horizon }} from context
    union all
    select 'current', as_of, 0 from context
),

daily as (
    -- events pre-aggregated per user x day before as-of (whole days, in exact integer
    -- microseconds, so every snapshot and 30-day cutoff falls on a bucket edge) x calendar
    -- date (for active days): a few rows per user instead of every event per snapshot
    select
        events.user_id,
        (epoch_us(context.as_of) - epoch_us(events.event_ts)) // 86400000000 as days_before_as_of,
        cast(events.event_ts as date) as event_date,
        min(events.event_ts) as first_event_at,
        max(events.event_ts) as last_event_at,
        count(*) filter (where events.event_type in ('view', 'trial', 'favorite')) as browse_events,
        coalesce(sum(events.amount) filter (where events.event_type = 'purchase'), 0)
        - coalesce(sum(events.amount) filter (where events.event_type = 'refund'), 0) as net_amount,
        count(*) filter (where events.event_type = 'refund') as refunds,
        max(events.event_ts) filter (
            where events.event_type = 'purchase' and events.course_id is null
        ) as last_membership_at
    from events
    cross join context
    group by all
),

dated as (
    -- each active calendar date of a user, with the range of as-of-aligned day buckets its
    -- events fall in: a date spans at most two adjacent buckets, so it has events in a
    -- window of buckets exactly when its range overlaps the window
    select
        user_id,
        min(days_before_as_of) as first_bucket,
        max(days_before_as_of) as last_bucket
    from daily
    group by user_id, event_date
),

active_days as (
    -- active calendar days in the 30 days before each snapshot: a plain count over the
    -- dates (a count distinct over the user x day x date rows cost about 1 s of 7 at 200k users)
    select
        snapshots.snapshot,
        dated.user_id,
        count(*) as active_days_30d
    from dated
    inner join snapshots
        on dated.last_bucket >= snapshots.days_before_as_of
        and dated.first_bucket < snapshots.days_before_as_of + 30
    group by all
),

activity as (
    select
        snapshots.snapshot,
        daily.user_id,
        min(daily.first_event_at) as first_event_at,
        max(daily.last_event_at) as last_seen_at,
        cast(coalesce(sum(daily.browse_events) filter (
            where daily.days_before_as_of < snapshots.days_before_as_of + 30
        ), 0) as bigint) as browse_events_30d,
        sum(daily.net_amount) as monetary,
        cast(sum(daily.refunds) as bigint) as refunds,
        max(daily.last_membership_at) as last_membership_at
    from daily
    inner join snapshots on daily.days_before_as_of >= snapshots.days_before_as_of
    group by all
),

paid as (
    select
        snapshots.snapshot,
        orders.user_id,
        count(*) as paid_orders,
        min(orders.ordered_at) as first_order_at,
        max(orders.ordered_at) as last_order_at,
        count(*) filter (where orders.ordered_at > snapshots.snapshot_at - interval 30 day) as orders_30d,
        count(*) filter (where orders.ordered_at > snapshots.snapshot_at - interval 90 day) as orders_90d
    from orders
    inner join snapshots
        on orders.ordered_at <= snapshots.snapshot_at
        and not (orders.is_fully_refunded and orders.last_refunded_at <= snapshots.snapshot_at)
    group by all
),

labels as (
    select distinct
        snapshots.snapshot,
        events.user_id
    from events
    inner join snapshots
        on events.event_type = 'purchase'
        and events.event_ts > snapshots.snapshot_at
        and events.event_ts <= snapshots.snapshot_at + interval {{ horizon }} day
    where snapshots.snapshot != 'current'
),

population as (
    select snapshot, user_id from activity
    union
    select snapshots.snapshot, users.user_id
    from users
    cross join snapshots
    where coalesce(users.signup_ts, (select as_of from context)) <= snapshots.snapshot_at
),

joined as (
    select
        population.snapshot,
        snapshots.snapshot_at,
        population.user_id,
        least(activity.first_event_at, users.signup_ts) as first_seen_at,
        activity.last_seen_at,
        coalesce(paid.paid_orders, 0) as paid_orders,
        coalesce(activity.monetary, 0) as monetary,
        paid.first_order_at,
        paid.last_order_at,
        coalesce(paid.orders_30d, 0) as orders_30d,
        coalesce(paid.orders_90d, 0) as orders_90d,
        coalesce(active_days.active_days_30d, 0) as active_days_30d,
        coalesce(activity.browse_events_30d, 0) as browse_events_30d,
        coalesce(activity.refunds, 0) as refunds,
        coalesce(
            activity.last_membership_at > snapshots.snapshot_at - interval {{ var('membership_active_days') }} day,
            false
        ) as is_member,
        case
            when population.snapshot = 'current' then null
            else labels.user_id is not null
        end as paid_next
    from population
    inner join snapshots on population.snapshot = snapshots.snapshot
    left join activity
        on population.snapshot = activity.snapshot and population.user_id = activity.user_id
    left join active_days
        on population.snapshot = active_days.snapshot and population.user_id = active_days.user_id
    left join paid
        on population.snapshot = paid.snapshot and population.user_id = paid.user_id
    left join labels
        on population.snapshot = labels.snapshot and population.user_id = labels.user_id
    left join users on population.user_id = users.user_id
),

final as (
    select
        *,
        {{ days_between('coalesce(first_seen_at, snapshot_at)', 'snapshot_at') }} as tenure_days,
        {{ days_between('last_order_at', 'snapshot_at') }} as recency_days,
        {{ days_between('last_seen_at', 'snapshot_at') }} as days_since_last_seen,
        case
            when paid_orders > 1
                then {{ days_between('first_order_at', 'last_order_at') }} / (paid_orders - 1)
        end as avg_days_between_orders
    from joined
)

select * from final
