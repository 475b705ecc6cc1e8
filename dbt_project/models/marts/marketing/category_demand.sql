{#-
    One row per RFM segment x course category: demand from the segment's users (users
    engaged, views, trials, purchases in the last 90 days of the window) against the
    catalog's supply (courses, new courses in those 90 days, average rating), and a gap
    index: the category's share of the segment's demand over its share of the catalog.
    Above 1: the segment wants more of this category than the catalog offers - what to
    produce next, and for whom.
-#}
with

events as (
    select * from {{ ref('int_events_windowed') }}
    where course_id is not null
),

context as (
    select as_of from {{ ref('int_build_context_resolved') }}
),

courses as (
    select * from {{ ref('int_courses_keyed') }}
    where in_catalog and category is not null
),

segments as (
    select user_id, rfm_segment from {{ ref('user_segments') }}
),

recent as (
    select events.*
    from events
    cross join context
    where events.event_ts > context.as_of - interval 90 day
),

demand as (
    select
        segments.rfm_segment,
        courses.category,
        count(distinct recent.user_id) as engaged_users,
        count(*) filter (where recent.event_type = 'view') as views,
        count(*) filter (where recent.event_type = 'trial') as trials,
        count(*) filter (where recent.event_type = 'purchase') as purchases
    from recent
    inner join courses on recent.course_id = courses.course_id
    inner join segments on recent.user_id = segments.user_id
    group by all
),

ratings as (
    select course_id, avg(rating) as avg_rating
    from events
    where event_type = 'rating'
    group by course_id
),

supply as (
    select
        courses.category,
        count(*) as courses,
        count(*) filter (where courses.published_at > context.as_of - interval 90 day) as new_courses,
        avg(ratings.avg_rating) as avg_course_rating
    from courses
    cross join context
    left join ratings on courses.course_id = ratings.course_id
    group by courses.category
),

final as (
    select
        demand.rfm_segment,
        demand.category,
        demand.engaged_users,
        demand.views,
        demand.trials,
        demand.purchases,
        supply.courses,
        supply.new_courses,
        supply.avg_course_rating,
        demand.engaged_users / supply.courses as engaged_users_per_course,
        (demand.engaged_users / sum(demand.engaged_users) over (partition by demand.rfm_segment))
        / (supply.courses / sum(supply.courses) over (partition by demand.rfm_segment)) as gap_index
    from demand
    inner join supply on demand.category = supply.category
)

select * from final
