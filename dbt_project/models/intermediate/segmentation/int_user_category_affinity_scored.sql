{#-
    One row per user x course category the user engaged with positively: the summed
    time-decayed affinity, its share of the user's total, and its rank (1 = the user's top
    category; ties broken by category name). Empty without a catalog.
-#}
with

interactions as (
    select * from {{ ref('int_interactions_weighted') }}
    where affinity > 0
),

courses as (
    select course_key, category from {{ ref('int_courses_keyed') }}
    where category is not null
),

summed as (
    select
        interactions.user_id,
        courses.category,
        sum(interactions.affinity) as affinity
    from interactions
    inner join courses on interactions.course_key = courses.course_key
    group by all
),

final as (
    select
        user_id,
        category,
        affinity,
        affinity / sum(affinity) over (partition by user_id) as share,
        row_number() over (partition by user_id order by affinity desc, category) as category_rank
    from summed
)

select * from final
