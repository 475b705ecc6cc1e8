{#- One row per user, as of the build's as-of time. Definitions in _segmentation__models.yml. -#}
with

snapshot as (
    select * from {{ ref('int_user_snapshots_aggregated') }}
    where snapshot = 'current'
),

users as (
    select * from {{ ref('int_users_keyed') }}
),

events as (
    select * from {{ ref('int_events_windowed') }}
),

interactions as (
    select * from {{ ref('int_interactions_weighted') }}
),

courses as (
    select * from {{ ref('int_courses_keyed') }}
),

context as (
    select as_of from {{ ref('int_build_context_resolved') }}
),

learning_sessions as (
    select * from {{ ref('int_learning_sessions_grouped') }}
),

course_progress as (
    select * from {{ ref('int_learning_progress_aggregated') }}
),

completed_courses as (
    -- courses bought, and of them completed (a complete event, or progress reaching 1)
    select
        user_id,
        count(*) filter (where is_purchased and is_completed) as completed_purchases,
        count(*) filter (where is_purchased) as bought_courses
    from course_progress
    group by user_id
),

event_counts as (
    select
        user_id,
        count(*) filter (where event_type = 'view') as views,
        count(*) filter (where event_type = 'trial') as trials,
        count(*) filter (where event_type = 'favorite') as favorites,
        count(*) filter (where event_type = 'complete') as completions,
        count(*) filter (where event_type = 'purchase' and course_id is not null) as course_purchases,
        count(*) filter (where event_type = 'rating') as ratings,
        avg(rating) filter (where event_type = 'rating') as avg_rating,
        arg_max(channel, (event_ts, channel)) filter (where channel is not null) as last_active_channel
    from events
    group by user_id
),

checkin_days as (
    select distinct
        user_id,
        cast(event_ts as date) as checkin_date
    from events
    where event_type = 'checkin'
),

checkin_islands as (
    select
        user_id,
        checkin_date,
        checkin_date - cast(row_number() over (partition by user_id order by checkin_date) as integer)
            as island
    from checkin_days
),

streaks as (
    select
        user_id,
        island,
        count(*) as streak_days,
        max(checkin_date) as streak_end
    from checkin_islands
    group by all
),

checkins as (
    select
        streaks.user_id,
        sum(streaks.streak_days) as checkin_days,
        max(streaks.streak_days) as longest_checkin_streak,
        coalesce(max(streaks.streak_days) filter (
            where streaks.streak_end >= cast(context.as_of as date) - 1
        ), 0) as current_checkin_streak
    from streaks
    cross join context
    group by streaks.user_id
),

top_category as (
    select user_id, category as top_category
    from {{ ref('int_user_category_affinity_scored') }}
    where category_rank = 1
),

format_affinity as (
    select
        interactions.user_id,
        courses.format,
        sum(interactions.affinity) as affinity
    from interactions
    inner join courses on interactions.course_key = courses.course_key
    where interactions.affinity > 0 and courses.format is not null
    group by all
),

top_format as (
    select
        user_id,
        arg_max(format, (affinity, format)) as preferred_format
    from format_affinity
    group by user_id
),

band_counts as (
    select
        interactions.user_id,
        courses.price_band,
        count(*) filter (where interactions.has_purchased) as bought,
        count(*) as engaged
    from interactions
    inner join courses on interactions.course_key = courses.course_key
    where courses.price_band is not null
    group by all
),

price_bands as (
    -- the band of most courses bought; of most courses engaged with when none were bought.
    -- Ties go to the band name, so the answer never depends on row order (mode() would).
    select
        user_id,
        first(price_band order by bought desc, engaged desc, price_band) as price_band
    from band_counts
    group by user_id
),

final as (
    select
        users.user_key,
        snapshot.user_id,
        snapshot.first_seen_at,
        snapshot.last_seen_at,
        snapshot.recency_days,
        snapshot.days_since_last_seen,
        snapshot.paid_orders as frequency,
        cast(snapshot.monetary as decimal(18, 2)) as monetary,
        snapshot.tenure_days,
        snapshot.first_order_at as first_purchase_at,
        snapshot.last_order_at as last_purchase_at,
        snapshot.avg_days_between_orders,
        snapshot.orders_30d,
        snapshot.orders_90d,
        coalesce(event_counts.views, 0) as views,
        coalesce(event_counts.trials, 0) as trials,
        coalesce(event_counts.favorites, 0) as favorites,
        coalesce(event_counts.course_purchases, 0) as course_purchases,
        coalesce(event_counts.completions, 0) as completions,
        -- distinct courses on both sides: a course bought twice is one course to complete
        case
            when completed_courses.bought_courses > 0
                then completed_courses.completed_purchases / completed_courses.bought_courses
        end as completion_rate,
        learning_sessions.learning_minutes_30d,
        learning_sessions.learning_minutes_total,
        coalesce(learning_sessions.learning_sessions, 0) as learning_sessions,
        learning_sessions.learning_minutes_total / learning_sessions.learning_sessions as avg_session_minutes,
        snapshot.refunds,
        coalesce(event_counts.ratings, 0) as ratings,
        event_counts.avg_rating,
        coalesce(checkins.checkin_days, 0) as checkin_days,
        coalesce(checkins.longest_checkin_streak, 0) as longest_checkin_streak,
        coalesce(checkins.current_checkin_streak, 0) as current_checkin_streak,
        top_category.top_category,
        top_format.preferred_format,
        price_bands.price_band,
        snapshot.is_member,
        event_counts.last_active_channel,
        users.acquisition_channel,
        users.has_marketing_consent
    from snapshot
    inner join users on snapshot.user_id = users.user_id
    left join event_counts on snapshot.user_id = event_counts.user_id
    left join checkins on snapshot.user_id = checkins.user_id
    left join top_category on snapshot.user_id = top_category.user_id
    left join top_format on snapshot.user_id = top_format.user_id
    left join price_bands on snapshot.user_id = price_bands.user_id
    left join learning_sessions on snapshot.user_id = learning_sessions.user_id
    left join completed_courses on snapshot.user_id = completed_courses.user_id
)

select * from final
