{#-
    One row per user x course with any event in the window: the time spent learning it
    (events' duration_seconds), the furthest progress reached, and whether the user bought
    and completed it. A course is completed by a complete event or by progress reaching 1,
    so an export that sends only progress counts its completions too.
-#}
with

events as (
    select * from {{ ref('int_events_windowed') }}
    where course_id is not null
),

final as (
    select
        user_id,
        course_id,
        sum(duration_seconds) as learning_seconds,
        count(duration_seconds) as timed_events,
        max(progress) as max_progress,
        bool_or(event_type = 'purchase') as is_purchased,
        coalesce(bool_or(event_type = 'complete' or progress >= 1), false) as is_completed
    from events
    group by user_id, course_id
)

select * from final
