{#-
    One row per course in the catalog or named by an event: its title and category, how
    many users engaged with it positively, and how many have it among their
    recommendations (at any rank, and first), so a report or BI tool can show courses by title.
-#}
with

courses as (
    select * from {{ ref('int_courses_keyed') }}
),

popularity as (
    select * from {{ ref('int_course_popularity_ranked') }}
),

recommendations as (
    select * from {{ ref('user_recommendations') }}
),

recommended as (
    select
        course_key,
        count(*) as recommended_users,
        count(*) filter (where rank = 1) as recommended_first_users
    from recommendations
    group by course_key
),

final as (
    select
        courses.course_id,
        courses.title,
        courses.category,
        courses.format,
        courses.price_band,
        courses.in_catalog,
        coalesce(popularity.users, 0) as engaged_users,
        coalesce(recommended.recommended_users, 0) as recommended_users,
        coalesce(recommended.recommended_first_users, 0) as recommended_first_users,
        courses.course_key
    from courses
    left join popularity on courses.course_key = popularity.course_key
    left join recommended on courses.course_key = recommended.course_key
)

select * from final
