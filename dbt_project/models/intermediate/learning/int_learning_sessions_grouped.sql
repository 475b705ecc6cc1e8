{#-
    One row per user with at least one event that carries a duration: learning time in
    total and in the 30 days before as-of (time covered by the timed events, overlaps
    counted once), and learning sessions. A session is a run of
    timed events with gaps under var('session_gap_minutes') between the latest end so far
    (event_ts + duration, of every earlier event: a long lesson spans the short events
    inside it) and the next start, the inactivity rule of web analytics.
-#}
with

events as (
    select
        user_id,
        event_ts,
        duration_seconds
    from {{ ref('int_events_windowed') }}
    where duration_seconds is not null
),

context as (
    select as_of from {{ ref('int_build_context_resolved') }}
),

ends as (
    select
        user_id,
        event_ts,
        epoch(event_ts) as starts_at,
        epoch(event_ts) + duration_seconds as ends_at,
        max(epoch(event_ts) + duration_seconds) over (
            partition by user_id order by event_ts, duration_seconds
            rows between unbounded preceding and 1 preceding
        ) as ended_before
    from events
),

gaps as (
    select
        user_id,
        event_ts,
        starts_at - ended_before as gap_seconds,
        -- the time this event adds to what the earlier ones cover: an event inside a longer
        -- one (a check-in during a lesson) adds none, so overlapping time counts once
        greatest(0, ends_at - greatest(starts_at, coalesce(ended_before, starts_at))) as added_seconds
    from ends
),

final as (
    select
        gaps.user_id,
        sum(gaps.added_seconds) / 60.0 as learning_minutes_total,
        coalesce(
            sum(gaps.added_seconds) filter (where gaps.event_ts > context.as_of - interval 30 day), 0
        ) / 60.0 as learning_minutes_30d,
        count(*) filter (
            where gaps.gap_seconds is null or gaps.gap_seconds > 60 * {{ var('session_gap_minutes') }}
        ) as learning_sessions
    from gaps
    cross join context
    group by gaps.user_id
)

select * from final
