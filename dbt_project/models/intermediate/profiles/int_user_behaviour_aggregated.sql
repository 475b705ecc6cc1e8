{#-
    One row per user (as user_features): the behavioural features the clusters are fitted
    on, in their original units. Activity, recency and spend come from the current
    snapshot; the format mix (share of the user's course events per format), category
    focus (share of the top category's affinity), completion (a complete event or progress
    reaching 1, of the courses engaged), learning time (int_learning_sessions_grouped; 0
    when the data has no durations), the share of course purchases paid below the catalog
    price and time of day (share of events by hour on the clock of var local_timezone)
    from the events in the window. A user with no events has zero shares.
    int_clusters_fitted standardizes them.
-#}
with

snapshot as (
    select * from {{ ref('int_user_snapshots_aggregated') }}
    where snapshot = 'current'
),

users as (
    select user_key, user_id from {{ ref('int_users_keyed') }}
),

events as (
    select user_id, course_id, event_type, event_ts, amount from {{ ref('int_events_windowed') }}
),

pairs as (
    select user_id, course_id, events from {{ ref('int_interactions_accumulated') }}
),

courses as (
    select course_id, format, price from {{ ref('int_courses_keyed') }}
),

learning as (
    select * from {{ ref('int_learning_sessions_grouped') }}
),

course_progress as (
    select
        user_id,
        count(*) as courses,
        count(*) filter (where is_completed) as completed
    from {{ ref('int_learning_progress_aggregated') }}
    group by user_id
),

top_category as (
    select user_id, share from {{ ref('int_user_category_affinity_scored') }}
    where category_rank = 1
),

event_activity as (
    -- one pass over the events; a course purchase paid below 95% of the catalog price counts
    -- as discounted (a promotion or a coupon)
    select
        events.user_id,
        count(*) as events,
        count(distinct cast(events.event_ts as date)) as active_days,
        count(*) filter (where events.event_type = 'purchase' and events.course_id is null) as memberships_bought,
        count(*) filter (where events.event_type = 'purchase' and courses.price > 0) as course_purchases,
        count(*) filter (
            where events.event_type = 'purchase' and courses.price > 0 and events.amount < 0.95 * courses.price
        ) as discounted_purchases,
        count(*) filter (where {{ local_hour('events.event_ts') }} < 6) as night_events,
        count(*) filter (where {{ local_hour('events.event_ts') }} between 6 and 11) as morning_events,
        count(*) filter (where {{ local_hour('events.event_ts') }} between 18 and 23) as evening_events
    from events
    left join courses on events.course_id = courses.course_id
    group by events.user_id
),

format_mix as (
    select
        pairs.user_id,
        count(*) as courses_engaged,
        sum(pairs.events) as course_events,
        {%- for format in ['video', 'audio', 'ebook', 'live', 'column'] %}
        sum(pairs.events) filter (where courses.format = '{{ format }}')
            as {{ format }}_events{{ ',' if not loop.last }}
        {%- endfor %}
    from pairs
    left join courses on pairs.course_id = courses.course_id
    group by pairs.user_id
),

final as (
    select
        users.user_key,
        users.user_id,
        coalesce(event_activity.active_days, 0) as active_days,
        coalesce(event_activity.events, 0) as events,
        coalesce(snapshot.days_since_last_seen, snapshot.tenure_days) as days_since_last_seen,
        snapshot.paid_orders as frequency,
        greatest(snapshot.monetary, 0) as monetary,
        greatest(snapshot.monetary, 0) / nullif(snapshot.paid_orders, 0) as avg_order_value,
        coalesce(event_activity.memberships_bought, 0) > 0 as had_membership,
        coalesce(format_mix.courses_engaged, 0) as courses_engaged,
        coalesce(course_progress.completed / course_progress.courses, 0) as completion_share,
        coalesce(learning.learning_minutes_total, 0) as learning_minutes_total,
        coalesce(learning.learning_minutes_30d, 0) as learning_minutes_30d,
        coalesce(learning.learning_minutes_total / nullif(learning.learning_sessions, 0), 0) as avg_session_minutes,
        coalesce(top_category.share, 0) as category_focus,
        coalesce(event_activity.discounted_purchases / nullif(event_activity.course_purchases, 0), 0)
            as discount_share,
        {%- for format in ['video', 'audio', 'ebook', 'live', 'column'] %}
        coalesce(format_mix.{{ format }}_events / nullif(format_mix.course_events, 0), 0) as {{ format }}_share,
        {%- endfor %}
        coalesce(event_activity.night_events / nullif(event_activity.events, 0), 0) as night_share,
        coalesce(event_activity.morning_events / nullif(event_activity.events, 0), 0) as morning_share,
        coalesce(event_activity.evening_events / nullif(event_activity.events, 0), 0) as evening_share
    from snapshot
    inner join users on snapshot.user_id = users.user_id
    left join event_activity on snapshot.user_id = event_activity.user_id
    left join format_mix on snapshot.user_id = format_mix.user_id
    left join top_category on snapshot.user_id = top_category.user_id
    left join course_progress on snapshot.user_id = course_progress.user_id
    left join learning on snapshot.user_id = learning.user_id
)

select * from final
