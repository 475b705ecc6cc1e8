{#-
    One row per user x course with any course event in the window:
        affinity = sum over the pair's events of weight(event) * 0.5 ^ (age_days / half_life)
    with weights from the seed event_weights (view < trial < favorite < complete < purchase;
    rating events weigh weight + rating x weight_per_rating_point; refunds are negative), the
    half-life var('half_life_days') (default 30) and age measured from the build's as-of.
    `is_taken`: the user bought, refunded, completed or rated the course (never recommend it).
-#}
with

events as (
    select * from {{ ref('int_events_windowed') }}
    where course_id is not null
),

weights as (
    select * from {{ ref('event_weights') }}
),

context as (
    select as_of from {{ ref('int_build_context') }}
),

users as (
    select user_key, user_id from {{ ref('int_users_keyed') }}
),

courses as (
    select course_key, course_id from {{ ref('int_courses_keyed') }}
),

weighted as (
    select
        events.user_id,
        events.course_id,
        events.event_type,
        events.event_ts,
        weights.weight + weights.weight_per_rating_point * coalesce(events.rating, 0) as weight,
        {{ days_between('events.event_ts', 'context.as_of') }} as age_days
    from events
    inner join weights on events.event_type = weights.event_type
    cross join context
),

final as (
    select
        users.user_key,
        courses.course_key,
        weighted.user_id,
        weighted.course_id,
        sum(weighted.weight * pow(0.5, weighted.age_days / {{ var('half_life_days', 30) }})) as affinity,
        sum(weighted.weight) as undecayed_weight,
        count(*) as events,
        min(weighted.event_ts) as first_event_at,
        max(weighted.event_ts) as last_event_at,
        bool_or(weighted.event_type in ('purchase', 'refund', 'complete', 'rating')) as is_taken,
        bool_or(weighted.event_type = 'purchase') as has_purchased,
        -- the strongest thing the user did with the course, for "because you ..." reasons;
        -- equal weights (a 5-star rating and a purchase) go to the later name, not row order
        arg_max(weighted.event_type, (weighted.weight, weighted.event_type)) as strongest_event_type
    from weighted
    inner join users on weighted.user_id = users.user_id
    inner join courses on weighted.course_id = courses.course_id
    group by all
)

select * from final
