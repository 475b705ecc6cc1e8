{#-
    One row per user x rank (1..var('rec_k')): the courses worth showing next.

    For user u and candidate course j, over the user's strongest var('rec_history_courses')
    courses i (positive affinity, int_interactions_weighted):
        cf(u, j)      = sum_i affinity(u, i) x sim(i, j) / sum_i affinity(u, i)   (SAR, normalised)
        content(u, j) = sum_i affinity(u, i) x content_cosine(i, j) / sum_i affinity(u, i)
        score         = blend_score(cf, content, popularity(j), weights)          (numpy UDF)
    sim is var('rec_similarity') (int_course_neighbors); weights are vars rec_weight_*.
    Candidates: item neighbours of the history, content neighbours (so new courses with no
    co-engagement get in), and the courses most popular with the user's RFM segment (the
    cold start for users with no usable history, and the fill when candidates run short).
    Excluded: courses the user bought, refunded, completed or rated, and courses not yet
    published at as_of. `reason` names the history course that contributed most.
-#}
with

interactions as (
    select * from {{ ref('int_interactions_weighted') }}
),

neighbors as (
    select * from {{ ref('int_course_neighbors') }}
),

courses as (
    select * from {{ ref('int_courses_keyed') }}
),

content as (
    select
        a.course_key,
        b.course_key as other_course_key,
        s.content_cosine
    from {{ ref('course_similarity') }} as s
    inner join courses as a on s.course_id = a.course_id
    inner join courses as b on s.other_course_id = b.course_id
),

popularity as (
    select * from {{ ref('int_course_popularity') }}
),

users as (
    select user_key, user_id from {{ ref('int_users_keyed') }}
),

segments as (
    select user_id, rfm_segment from {{ ref('user_segments') }}
),

context as (
    select as_of from {{ ref('int_build_context') }}
),

available as (
    select courses.course_key, courses.course_id, courses.title
    from courses
    cross join context
    where courses.published_at is null or courses.published_at <= context.as_of
),

history as (
    select
        user_key,
        course_key,
        affinity,
        strongest_event_type,
        sum(affinity) over (partition by user_key) as total_affinity
    from interactions
    where affinity > 0
    qualify row_number() over (
        partition by user_key order by affinity desc, course_key
    ) <= {{ var('rec_history_courses') }}
),

taken as (
    select user_key, course_key from interactions where is_taken
),

cf_contributions as (
    select
        history.user_key,
        neighbors.other_course_key as course_key,
        history.course_key as source_course_key,
        history.strongest_event_type as source_event_type,
        history.affinity * neighbors.similarity / history.total_affinity as contribution
    from history
    inner join neighbors on history.course_key = neighbors.course_key
),

cf as (
    select
        user_key,
        course_key,
        sum(contribution) as cf_score,
        arg_max(source_course_key, contribution) as cf_source_course_key,
        arg_max(source_event_type, contribution) as cf_source_event_type
    from cf_contributions
    group by all
),

content_contributions as (
    select
        history.user_key,
        content.other_course_key as course_key,
        history.course_key as source_course_key,
        history.strongest_event_type as source_event_type,
        history.affinity * content.content_cosine / history.total_affinity as contribution
    from history
    inner join content on history.course_key = content.course_key
),

content_scores as (
    select
        user_key,
        course_key,
        sum(contribution) as content_score,
        arg_max(source_course_key, contribution) as content_source_course_key,
        arg_max(source_event_type, contribution) as content_source_event_type
    from content_contributions
    group by all
),

segment_popular as (
    -- per segment, the courses most engaged with by its users, time-decayed
    select
        segments.rfm_segment,
        interactions.course_key,
        row_number() over (
            partition by segments.rfm_segment
            order by sum(least(interactions.affinity, 5.0)) desc, interactions.course_key
        ) as segment_rank
    from interactions
    inner join users on interactions.user_key = users.user_key
    inner join segments on users.user_id = segments.user_id
    where interactions.affinity > 0
    group by segments.rfm_segment, interactions.course_key
    qualify segment_rank <= {{ var('rec_k') }} + {{ var('rec_history_courses') }}
),

overall_popular as (
    select course_key, popularity_rank
    from popularity
    where popularity_rank <= {{ var('rec_k') }} + {{ var('rec_history_courses') }}
),

fill as (
    -- the user's segment favourites first, then what is popular overall (a segment
    -- whose users have no course engagement at all, e.g. pure prospects, has none)
    select
        user_key,
        course_key,
        arg_min(fill_segment, fill_rank) as rfm_segment,
        min(fill_rank) as segment_rank
    from (
        select
            users.user_key,
            segment_popular.course_key,
            segments.rfm_segment as fill_segment,
            segment_popular.segment_rank as fill_rank
        from users
        inner join segments on users.user_id = segments.user_id
        inner join segment_popular on segments.rfm_segment = segment_popular.rfm_segment
        union all
        select
            users.user_key,
            overall_popular.course_key,
            null,
            1000 + overall_popular.popularity_rank
        from users
        cross join overall_popular
    )
    group by user_key, course_key
),

candidates as (
    select user_key, course_key from cf
    union
    select user_key, course_key from content_scores
    union
    select user_key, course_key from fill
),

scored as (
    select
        candidates.user_key,
        candidates.course_key,
        cf.cf_score,
        content_scores.content_score,
        coalesce(popularity.popularity_score, 0) as popularity_score,
        blend_score(
            cf.cf_score,
            content_scores.content_score,
            coalesce(popularity.popularity_score, 0),
            {{ var('rec_weight_cf') }},
            {{ var('rec_weight_content') }},
            {{ var('rec_weight_popularity') }}
        ) as score,
        cf.cf_source_course_key,
        cf.cf_source_event_type,
        content_scores.content_source_course_key,
        content_scores.content_source_event_type,
        fill.rfm_segment as fill_segment,
        -- ties (e.g. pure popularity) break by segment popularity, then key: deterministic
        coalesce(fill.segment_rank, 1e9) as fill_rank
    from candidates
    inner join available on candidates.course_key = available.course_key
    left join taken
        on candidates.user_key = taken.user_key and candidates.course_key = taken.course_key
    left join cf on candidates.user_key = cf.user_key and candidates.course_key = cf.course_key
    left join content_scores
        on candidates.user_key = content_scores.user_key
        and candidates.course_key = content_scores.course_key
    left join fill on candidates.user_key = fill.user_key and candidates.course_key = fill.course_key
    left join popularity on candidates.course_key = popularity.course_key
    where taken.user_key is null
),

ranked as (
    select
        *,
        row_number() over (
            partition by user_key order by score desc, fill_rank, course_key
        ) as rank
    from scored
    qualify rank <= {{ var('rec_k') }}
),

final as (
    select
        users.user_id,
        cast(ranked.rank as integer) as rank,
        course.course_id,
        cast(ranked.score as double) as score,
        case
            when ranked.cf_score > 0 and ranked.cf_score * {{ var('rec_weight_cf') }}
                >= coalesce(ranked.content_score, 0) * {{ var('rec_weight_content') }}
                then 'because you ' || {{ event_verb('ranked.cf_source_event_type') }} || ' '
                    || coalesce(cf_source.title, cf_source.course_id)
            when ranked.content_score > 0
                then 'similar to ' || coalesce(content_source.title, content_source.course_id)
                    || ', which you ' || {{ event_verb('ranked.content_source_event_type') }}
            when ranked.fill_segment is not null
                then 'popular with ' || ranked.fill_segment || ' learners'
            else 'popular now'
        end as reason,
        case
            when ranked.cf_score > 0 and ranked.cf_score * {{ var('rec_weight_cf') }}
                >= coalesce(ranked.content_score, 0) * {{ var('rec_weight_content') }}
                then cf_source.course_id
            when ranked.content_score > 0 then content_source.course_id
        end as reason_course_id,
        case
            when ranked.cf_score > 0 and ranked.cf_score * {{ var('rec_weight_cf') }}
                >= coalesce(ranked.content_score, 0) * {{ var('rec_weight_content') }}
                then 'collaborative'
            when ranked.content_score > 0 then 'content'
            else 'popular'
        end as source,
        cast(ranked.cf_score as double) as cf_score,
        cast(ranked.content_score as double) as content_score,
        cast(ranked.popularity_score as double) as popularity_score,
        ranked.user_key,
        ranked.course_key
    from ranked
    inner join users on ranked.user_key = users.user_key
    inner join courses as course on ranked.course_key = course.course_key
    left join courses as cf_source on ranked.cf_source_course_key = cf_source.course_key
    left join courses as content_source on ranked.content_source_course_key = content_source.course_key
)

-- stored in lookup order: DuckDB's zone maps then skip straight to one key's rows
select * from final
order by user_id, rank
