{#-
    One row per ranker x evaluated user x rank: the top var('rec_k') lists compared in
    recommendation_evaluation, for the users with at least one relevant held-out course.
      model       the lists of user_recommendations (int_recommendations_scored)
      popularity  the most popular courses in training, less the user's taken ones
      sar         pure SAR (int_eval_sar_rankings_scored), the published reference item model
      oracle      the generator's hidden truth (generated data only): courses ranked by the
                  user's true interest in the category (squared: it drives both viewing and
                  buying), popularity, quality and price fit - the headroom any model has
-#}
{%- set k = var('rec_k') | int %}
with

eval_users as (
    select distinct user_id from {{ ref('int_eval_relevant_courses_selected') }}
),

recommendations as (
    -- the scored lists behind user_recommendations, with ids
    select users.user_id, courses.course_id, scored.rank
    from {{ ref('int_recommendations_scored') }} as scored
    inner join {{ ref('int_users_keyed') }} as users on scored.user_key = users.user_key
    inner join {{ ref('int_courses_keyed') }} as courses on scored.course_key = courses.course_key
),

popularity as (
    select * from {{ ref('int_course_popularity_ranked') }}
),

courses as (
    select * from {{ ref('int_courses_keyed') }}
),

recommendable as (
    -- published at as-of: what every ranker may recommend (one definition with the model's)
    select course_key from {{ ref('int_recommendation_courses_prepared') }}
    where is_available
),

taken as (
    select user_id, course_id from {{ ref('int_interactions_weighted') }}
    where is_taken
),

truth_interests as (
    select * from {{ truth_relation(
        'user_interests', {'user_id': 'varchar', 'category': 'varchar', 'interest': 'double'}
    ) }}
),

truth_courses as (
    select * from {{ truth_relation('courses', {'course_id': 'varchar', 'popularity': 'double', 'quality': 'double'}) }}
),

truth_users as (
    select * from {{ truth_relation('users', {'user_id': 'varchar', 'price_tolerance': 'double'}) }}
),

available as (
    select courses.*
    from courses
    inner join recommendable on courses.course_key = recommendable.course_key
),

model as (
    select 'model' as ranker, recommendations.user_id, recommendations.course_id, recommendations.rank
    from recommendations
    inner join eval_users on recommendations.user_id = eval_users.user_id
),

popular as (
    select
        'popularity' as ranker,
        eval_users.user_id,
        popularity.course_id,
        row_number() over (
            partition by eval_users.user_id order by popularity.popularity_rank
        ) as rank
    from eval_users
    cross join (
        select * from popularity where popularity_rank <= {{ k }} + {{ var('rec_history_courses') }}
    ) as popularity
    inner join available on popularity.course_key = available.course_key
    left join taken on eval_users.user_id = taken.user_id and popularity.course_id = taken.course_id
    where taken.user_id is null
    qualify rank <= {{ k }}
),

oracle as (
    select
        'oracle' as ranker,
        eval_users.user_id,
        available.course_id,
        row_number() over (
            partition by eval_users.user_id
            order by
                power(truth_interests.interest, 2) * truth_courses.popularity
                * exp(0.2 * truth_courses.quality)
                * least(1.5, greatest(0.2, coalesce(truth_users.price_tolerance, 150) / greatest(available.price, 10)))
                desc,
                available.course_id
        ) as rank
    from eval_users
    inner join truth_interests on eval_users.user_id = truth_interests.user_id
    inner join available on truth_interests.category = available.category
    inner join truth_courses on available.course_id = truth_courses.course_id
    left join truth_users on eval_users.user_id = truth_users.user_id
    left join taken on eval_users.user_id = taken.user_id and available.course_id = taken.course_id
    where taken.user_id is null and coalesce(available.price, 1) > 0
    qualify rank <= {{ k }}
),

final as (
    select * from model
    union all
    select * from popular
    union all
    select ranker, user_id, course_id, rank from {{ ref('int_eval_sar_rankings_scored') }}
    union all
    select * from oracle
)

select * from final
