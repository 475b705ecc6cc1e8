{#-
    Under var('eval_split') = 'user_random': one row per (user, course) with a course event
    at or before as_of, and whether the pair is held out - per user with at least two
    courses, a seeded random var('eval_test_share') of them, rounded up (users with a
    single course keep it), the MovieLens-style protocol. In any other build no pair is held out and the
    model is empty, so a normal build pays nothing for it.
-#}
with

events as (
    select user_id, course_id, event_ts from {{ ref('int_events_accepted') }}
    where course_id is not null
),

context as (
    select as_of from {{ ref('int_build_context_resolved') }}
),

pairs as (
    select distinct events.user_id, events.course_id
    from events
    cross join context
    where events.event_ts <= context.as_of
),

shuffled as (
    select
        user_id,
        course_id,
        row_number() over (
            partition by user_id
            order by md5(user_id || '|' || course_id || '|' || '{{ var("eval_seed") }}'), course_id
        ) as draw,
        count(*) over (partition by user_id) as user_courses
    from pairs
),

final as (
    select
        user_id,
        course_id,
        user_courses >= 2 and draw <= ceil({{ var('eval_test_share') }} * user_courses) as is_held_out
    from shuffled
    {% if var('eval_split', none) != 'user_random' -%}
    where false
    {%- endif %}
)

select * from final
