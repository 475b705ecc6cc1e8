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

final as (
    select
        users.user_id,
        explained.rank,
        course.course_id,
        explained.score,
        case explained.source
            when 'collaborative'
                then 'because you ' || {{ event_verb('cf_history.strongest_event_type') }} || ' '
                    || coalesce(cf_source.title, cf_source.course_id)
            when 'content'
                then 'similar to ' || coalesce(content_source.title, content_source.course_id)
                    || ', which you ' || {{ event_verb('content_history.strongest_event_type') }}
            else
                case
                    when explained.is_segment_fill then 'popular with ' || segments.rfm_segment || ' learners'
                    else 'popular now'
                end
        end as reason,
        case explained.source
            when 'collaborative' then cf_source.course_id
            when 'content' then content_source.course_id
        end as reason_course_id,
        explained.source,
        explained.cf_score,
        explained.content_score,
        explained.popularity_score,
        explained.user_key,
        explained.course_key
    from explained
    inner join users on explained.user_key = users.user_key
    inner join segments on explained.user_key = segments.user_key
    inner join courses as course on explained.course_key = course.course_key
    left join courses as cf_source on explained.cf_source_course_key = cf_source.course_key
    left join courses as content_source on explained.content_source_course_key = content_source.course_key
    left join interactions as cf_history
        on explained.user_key = cf_history.user_key
        and explained.cf_source_course_key = cf_history.course_key
    left join interactions as content_history
        on explained.user_key = content_history.user_key
        and explained.content_source_course_key = content_history.course_key
)

-- stored in lookup order: DuckDB's zone maps then skip straight to one key's rows
select * from final
order by user_id, rank
