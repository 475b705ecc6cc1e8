{#-
    One row per user x course with any course event in the window: the user's strongest
    current relation to the course, for the verbs of recommendation reasons - completed >
    rated > bought > tried > saved > shared > viewed - and whether the course was refunded
    (a refund after the user's last purchase of it): a refunded course is no reason to
    recommend anything, and it is not bought any more. first_taken_at: when the user first
    bought, completed, rated or refunded it (what "the latest courses" of a holdout means).
-#}
with

events as (
    select user_id, course_id, event_type, event_ts
    from {{ ref('int_events_windowed') }}
    where course_id is not null
),

per_pair as (
    select
        user_id,
        course_id,
        min(event_ts) filter (where event_type in ('purchase', 'refund', 'complete', 'rating')) as first_taken_at,
        max(event_ts) filter (where event_type = 'purchase') as last_purchased_at,
        max(event_ts) filter (where event_type = 'refund') as last_refunded_at,
        bool_or(event_type = 'complete') as has_completed,
        bool_or(event_type = 'rating') as has_rated,
        bool_or(event_type = 'trial') as has_tried,
        bool_or(event_type = 'favorite') as has_saved,
        bool_or(event_type = 'share') as has_shared
    from events
    group by user_id, course_id
),

final as (
    select
        user_id,
        course_id,
        coalesce(
            last_refunded_at >= last_purchased_at
            or (last_refunded_at is not null and last_purchased_at is null),
            false
        )
            as is_refunded,
        first_taken_at,
        case
            when has_completed then 'completed'
            when has_rated then 'rated'
            when last_purchased_at is not null and not coalesce(last_refunded_at >= last_purchased_at, false)
                then 'bought'
            when has_tried then 'tried'
            when has_saved then 'saved'
            when has_shared then 'shared'
            else 'viewed'
        end as relation
    from per_pair
)

select * from final
