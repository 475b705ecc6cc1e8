{#-
    One row per course with any event in the window: how many users came to it, how many
    of them learned (progress, a completion, or at least five minutes on it), how many bought it and how many of those
    completed it, with the learning time they spent. engagement_rate = learners / users;
    completion_rate = completers / buyers.
-#}
with

progress as (
    select * from {{ ref('int_learning_progress_aggregated') }}
),

courses as (
    select * from {{ ref('int_courses_keyed') }}
),

counted as (
    select
        course_id,
        count(*) as users,
        -- a glance at the page is not learning: progress, a completion, or five minutes on it
        count(*) filter (where max_progress > 0 or is_completed or learning_seconds >= 300) as learners,
        count(*) filter (where is_purchased) as buyers,
        count(*) filter (where is_purchased and is_completed) as completers,
        sum(learning_seconds) / 60.0 as learning_minutes,
        avg(max_progress) filter (where is_purchased) as avg_buyer_progress
    from progress
    group by course_id
),

final as (
    select
        courses.course_key,
        counted.course_id,
        courses.category,
        courses.format,
        counted.users,
        counted.learners,
        counted.buyers,
        counted.completers,
        counted.learners / counted.users as engagement_rate,
        counted.completers / nullif(counted.buyers, 0) as completion_rate,
        counted.learning_minutes,
        counted.learning_minutes / nullif(counted.learners, 0) as avg_minutes_per_learner,
        counted.avg_buyer_progress
    from counted
    inner join courses on counted.course_id = courses.course_id
)

select * from final
