{#-
    One row per ordered course pair with at least var('pair_min_support') co-engaged users
    (item-item collaborative filtering). With n(i) the users engaged with course i, N all
    users with any course engagement and co the users engaged with both:
        jaccard    = co / (n(i) + n(j) - co)
        lift       = co x N / (n(i) x n(j))
        cosine     = co / sqrt(n(i) x n(j))
        confidence = co / n(i) = P(other | course): "of those who took A, x% also took B"
-#}
with

counted as (
    select * from {{ ref('int_course_pairs_counted') }}
),

popularity as (
    select course_key, course_id, users from {{ ref('int_course_popularity_ranked') }}
),

totals as (
    select count(distinct user_key) as engaged_users
    from {{ ref('int_interactions_weighted') }}
    where affinity > 0
),

final as (
    select
        a.course_id,
        b.course_id as other_course_id,
        counted.co_users,
        a.users as course_users,
        b.users as other_course_users,
        counted.co_users / (a.users + b.users - counted.co_users) as jaccard,
        counted.co_users * totals.engaged_users / (a.users * b.users) as lift,
        counted.co_users / sqrt(a.users * b.users) as cosine,
        counted.co_users / a.users as confidence,
        counted.course_key,
        counted.other_course_key
    from counted
    inner join popularity as a on counted.course_key = a.course_key
    inner join popularity as b on counted.other_course_key = b.course_key
    cross join totals
    where counted.co_users >= {{ var('pair_min_support') }}
)

select * from final
