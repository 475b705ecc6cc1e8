{#-
    One row per user x snapshot. The snapshots share one definition of every feature:
      fit       as_of - (k+2)N days  (the propensity model used for evaluation learns here)
      evaluate  as_of - (k+1)N days  (that model is judged here, out of time; the production
                                      model learns here)
      previous  as_of - N days       (only when k > 0: where segment_flow starts)
      current   as_of                (what user_features / user_segments publish)
    with N = var('propensity_horizon_days') and k the shift int_propensity_windows_chosen chose
    (0 unless the latest windows hold too few buyers). `paid_next` is the label: a
    purchase in the N days after the snapshot (NULL for current, whose future is unknown).
    A paid order counts once it is placed and stops counting once fully refunded.
-#}
{%- set horizon = var('propensity_horizon_days') | int %}
{#- (snapshot, its days before as-of: a column of the one-row windows CTE, or a number) -#}
{%- set snapshot_days = [
    ('fit', 'windows.fit_days'), ('evaluate', 'windows.evaluate_days'), ('previous', horizon), ('current', 0)
] %}
with

context as (
    select as_of from {{ ref('int_build_context_resolved') }}
),

events as (
    select * from {{ ref('int_events_windowed') }}
),

orders as (
    select * from {{ ref('int_orders_refunded') }}
),

refunds as (
    select * from {{ ref('int_refunds_matched') }}
),

users as (
    select user_id, signup_ts from {{ ref('int_users_keyed') }}
),

windows as (
    select
        cast(fit_days_before_as_of as bigint) as fit_days,
        cast(evaluate_days_before_as_of as bigint) as evaluate_days
    from {{ ref('int_propensity_windows_chosen') }}
),

snapshots as (
    {%- for name, days in snapshot_days %}
    select
        '{{ name }}' as snapshot,
        context.as_of - to_days(cast({{ days }} as integer)) as snapshot_at,
        {{ days }} as days_before_as_of
    from context
    cross join windows
    {%- if name == 'previous' %}
    where windows.evaluate_days != {{ horizon }}
    {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

bucketed as (
    -- whole days before as-of, in exact integer microseconds: an event is at or before a
    -- snapshot exactly when its bucket is at least the snapshot's, and in the snapshot's
    -- 30 days exactly when it is also below the snapshot's plus 30
    select
        events.user_id,
        events.event_ts,
        events.event_type,
        events.course_id,
        -- refunds are taken off as counted against their order (int_refunds_matched), below
        case when events.event_type = 'purchase' then events.amount end as purchase_amount,
        (epoch_us(context.as_of) - epoch_us(events.event_ts)) // 86400000000 as days_before_as_of,
        windows.fit_days,
        windows.evaluate_days
    from events
    cross join context
    cross join windows
),

{%- set groups = [
    ('per_user', snapshot_days | rejectattr(0, 'equalto', 'previous') | list, ''),
    ('per_user_previous', snapshot_days | selectattr(0, 'equalto', 'previous') | list,
     'where evaluate_days != ' ~ horizon),
] %}
{%- for group, snapshots_of_group, only in groups %}
{{ group }} as (
    -- every snapshot's activity in one pass over the events, grouped by user alone: users
    -- have about two events a day, so a group by user x day would be nearly as large as
    -- the events; `previous` is its own pass, over no row unless the windows were shifted
    select
        user_id,
        -- a user's first event is at or before every snapshot they have an event at or before
        min(event_ts) as first_event_at,
        {%- for name, days in snapshots_of_group %}
        {%- set days = days | replace('windows.', '') %}
        {%- set at_or_before = 'days_before_as_of >= ' ~ days %}
        max(event_ts) filter (where {{ at_or_before }}) as last_seen_at_{{ name }},
        count(*) filter (
            where {{ at_or_before }} and days_before_as_of < {{ days }} + 30
            and event_type in ('view', 'trial', 'favorite')
        ) as browse_events_30d_{{ name }},
        coalesce(sum(purchase_amount) filter (where {{ at_or_before }}), 0) as paid_{{ name }},
        count(*) filter (where {{ at_or_before }} and event_type = 'refund') as refunds_{{ name }},
        max(event_ts) filter (
            where {{ at_or_before }} and event_type = 'purchase' and course_id is null
        ) as last_membership_at_{{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from bucketed
    {{ only }}
    group by user_id
),

{% endfor -%}
refunded as (
    -- what each user's refunds took back by each snapshot, never more than was paid
    select
        refunds.user_id,
        {%- for name, days in snapshot_days %}
        coalesce(sum(refunds.counted_amount) filter (
            where refunds.refunded_at <= context.as_of - to_days(cast({{ days }} as integer))
        ), 0) as refunded_{{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from refunds
    cross join context
    cross join windows
    group by refunds.user_id
),

activity as (
    -- one row per snapshot and user with an event at or before it
    {%- for name, days in snapshot_days %}
    {%- set source = 'per_user_previous' if name == 'previous' else 'per_user' %}
    select
        '{{ name }}' as snapshot,
        {{ source }}.user_id,
        {{ source }}.first_event_at,
        last_seen_at_{{ name }} as last_seen_at,
        browse_events_30d_{{ name }} as browse_events_30d,
        {{ source }}.paid_{{ name }} - coalesce(refunded.refunded_{{ name }}, 0) as monetary,
        refunds_{{ name }} as refunds,
        last_membership_at_{{ name }} as last_membership_at
    from {{ source }}
    left join refunded on {{ source }}.user_id = refunded.user_id
    where {{ source }}.last_seen_at_{{ name }} is not null
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

dated as (
    -- each active calendar date in the snapshots' 30-day windows (the oldest snapshot's
    -- ends (k+2)N + 30 days before as-of), with the range of day buckets its events fall in:
    -- a date spans at most two adjacent buckets, so it has events in a window of buckets
    -- exactly when its range overlaps the window
    select
        user_id,
        min(days_before_as_of) as first_bucket,
        max(days_before_as_of) as last_bucket
    from bucketed
    where days_before_as_of < fit_days + 30
    group by user_id, cast(event_ts as date)
),

active_days as (
    -- active calendar days in the 30 days before each snapshot: a plain count over the dates
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

placed as (
    -- every order placed by the snapshot, refunded or not: a user whose orders were all
    -- refunded has paid_orders = 0 but is no prospect
    select
        snapshots.snapshot,
        orders.user_id,
        count(*) as orders_placed
    from orders
    inner join snapshots on orders.ordered_at <= snapshots.snapshot_at
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
        coalesce(placed.orders_placed, 0) as orders_placed,
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
    left join placed
        on population.snapshot = placed.snapshot and population.user_id = placed.user_id
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
