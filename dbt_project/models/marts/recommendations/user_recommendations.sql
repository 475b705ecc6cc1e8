{#-
    One row per user x rank (1..var('rec_k')): the courses worth showing next.

    Scored in int_recommendations_scored (numpy, dense user batches; formula and tie
    rules in learnmart/udfs/recommend.py). For user u and course j, over the user's
    courses i (not refunded) with weight w(u, i) = the course's share of the user's affinity:
        cf(u, j)      = sum_i w(u, i) x sim(i, j)              sim: the chosen recommender
        content(u, j) = sum_i w(u, i) x content_cosine(i, j)
        score         = w_cf cf / (1 + |cf|) + w_content content + w_pop popularity(j)
    with the recommender and weights int_recommenders_compared chose. Every course
    published at as_of that the user has not bought, refunded, completed or rated is a
    candidate; ties go to overall popularity (var rec_fill popularity, the default: on OULAD
    it ranked held-out courses better than segment favourites, 0.374 nDCG@10 against 0.324,
    and equal on generated data), or with rec_fill segment to the user's RFM segment
    favourites first.
    The reason names the signal that contributed most to the score and, for the
    collaborative and content signals, the history course with the largest term, with
    the user's strongest current relation to it (int_course_relations_resolved).
-#}
with

scored as (
    select * from {{ ref('int_recommendations_scored') }}
),

users as (
    select user_key, user_id from {{ ref('int_users_keyed') }}
),

segments as (
    select * from {{ ref('int_recommendation_users_prepared') }}
),

courses as (
    select course_key, course_id, title from {{ ref('int_courses_keyed') }}
),

relations as (
    select
        users.user_key,
        courses.course_key,
        relations.relation
    from {{ ref('int_course_relations_resolved') }} as relations
    inner join users on relations.user_id = users.user_id
    inner join courses on relations.course_id = courses.course_id
),

chosen as (
    select w_cf, w_content, w_popularity from {{ ref('int_recommenders_compared') }}
    where chosen
),

contributions as (
    -- each signal's part of the blended score
    select
        scored.*,
        chosen.w_cf * coalesce(scored.cf_score, 0) / (1 + abs(coalesce(scored.cf_score, 0))) as cf_part,
        chosen.w_content * coalesce(scored.content_score, 0) as content_part,
        chosen.w_popularity * coalesce(scored.popularity_score, 0) as popularity_part
    from scored
    cross join chosen
),

explained as (
    select
        *,
        case
            when cf_part > 0 and cf_part >= content_part and cf_part >= popularity_part
                and cf_source_course_key is not null
                then 'collaborative'
            when content_part > 0 and content_part >= popularity_part and content_source_course_key is not null
                then 'content'
            else 'popular'
        end as source
    from contributions
),

sourced as (
    -- the history course the reason names: one join to the courses and one to the
    -- interactions per pick, not one per signal
    select
        *,
        case source
            when 'collaborative' then cf_source_course_key
            when 'content' then content_source_course_key
        end as reason_course_key
    from explained
),

final as (
    select
        users.user_id,
        sourced.rank,
        course.course_id,
        sourced.score,
        case sourced.source
            when 'collaborative'
                then 'because you ' || history.relation || ' '
                    || coalesce(reason_course.title, reason_course.course_id)
            when 'content'
                then 'similar to ' || coalesce(reason_course.title, reason_course.course_id)
                    || ', which you ' || history.relation
            else
                case
                    when sourced.is_segment_fill then 'popular with ' || segments.rfm_segment || ' learners'
                    else 'popular now'
                end
        end as reason,
        reason_course.course_id as reason_course_id,
        sourced.source,
        sourced.cf_score,
        sourced.content_score,
        sourced.popularity_score,
        sourced.user_key,
        sourced.course_key
    from sourced
    inner join users on sourced.user_key = users.user_key
    inner join segments on sourced.user_key = segments.user_key
    inner join courses as course on sourced.course_key = course.course_key
    left join courses as reason_course on sourced.reason_course_key = reason_course.course_key
    left join relations as history
        on sourced.user_key = history.user_key
        and sourced.reason_course_key = history.course_key
)

-- stored in lookup order: DuckDB's zone maps then skip straight to one key's rows
select * from final
order by user_id, rank
