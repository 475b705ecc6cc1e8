{#-
    One row per user x rank (1..var('rec_k')): the courses worth showing next.

    Scored in int_recommendations_scored (numpy, dense user batches; formula and tie
    rules in learnmart/udfs/recommend.py). For user u and course j, over the user's
    strongest var('rec_history_courses') courses i with weight w(u, i) = the course's
    share of the user's affinity:
        cf(u, j)      = sum_i w(u, i) x sim(i, j)              sim: var('rec_similarity')
        content(u, j) = sum_i w(u, i) x content_cosine(i, j)
        score         = blend(cf, content, popularity(j))      weights: vars rec_weight_*
    Every course published at as_of that the user has not bought, refunded, completed or
    rated is a candidate; ties go to the user's RFM segment favourites, then to overall
    popularity. This model names each pick: the history course with the largest term,
    or the fallback that put it there.
-#}
with

scored as (
    select * from {{ ref('int_recommendations_scored') }}
),

users as (
    select user_key, user_id from {{ ref('int_users_keyed') }}
),

segments as (
    select * from {{ ref('int_recommendation_users') }}
),

courses as (
    select course_key, course_id, title from {{ ref('int_courses_keyed') }}
),

interactions as (
    select user_key, course_key, strongest_event_type from {{ ref('int_interactions_weighted') }}
),

explained as (
    select
        scored.*,
        case
            when scored.cf_score > 0 and scored.cf_score * {{ var('rec_weight_cf') }}
                >= coalesce(scored.content_score, 0) * {{ var('rec_weight_content') }}
                then 'collaborative'
            when scored.content_score > 0 then 'content'
            else 'popular'
        end as source
    from scored
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
                then 'because you ' || {{ event_verb('history.strongest_event_type') }} || ' '
                    || coalesce(reason_course.title, reason_course.course_id)
            when 'content'
                then 'similar to ' || coalesce(reason_course.title, reason_course.course_id)
                    || ', which you ' || {{ event_verb('history.strongest_event_type') }}
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
    left join interactions as history
        on sourced.user_key = history.user_key
        and sourced.reason_course_key = history.course_key
)

-- stored in lookup order: DuckDB's zone maps then skip straight to one key's rows
select * from final
order by user_id, rank
