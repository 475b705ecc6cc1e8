{#-
    One row per ordered pair of distinct courses engaged with (positive affinity) by at
    least one common user: the number of such users. Each user contributes only their
    var('pair_max_courses_per_user') most recently engaged courses, so one heavy user adds
    at most N x (N - 1) pairs instead of exploding the count; integer keys only in the
    self-join.
-#}
with

interactions as (
    select user_key, course_key, last_event_at
    from {{ ref('int_interactions_weighted') }}
    where affinity > 0
),

over_cap as (
    select user_key
    from interactions
    group by user_key
    having count(*) > {{ var('pair_max_courses_per_user') }}
),

capped as (
    -- only the few users over the cap are ranked: a window over every interaction was
    -- most of the model's time
    select user_key, course_key
    from interactions
    where user_key not in (select user_key from over_cap)
    union all
    select user_key, course_key
    from interactions
    where user_key in (select user_key from over_cap)
    qualify row_number() over (
        partition by user_key order by last_event_at desc, course_key
    ) <= {{ var('pair_max_courses_per_user') }}
),

unordered as (
    -- each pair once (the smaller key first): half the join rows of an ordered self-join
    select
        a.course_key,
        b.course_key as other_course_key,
        count(*) as co_users
    from capped as a
    inner join capped as b
        on a.user_key = b.user_key and a.course_key < b.course_key
    group by all
),

final as (
    select course_key, other_course_key, co_users from unordered
    union all
    select other_course_key, course_key, co_users from unordered
)

select * from final
