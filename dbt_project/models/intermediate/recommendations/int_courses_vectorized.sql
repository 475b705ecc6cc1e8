{#-
    One row per catalog course: a dense content vector over a shared vocabulary of
    category, tags, format and price band (one slot per token). Weights per token kind are
    vars; tags share their weight so a course with many tags is not favoured. The tag
    vocabulary is capped at the most frequent var('content_max_tags') tags.
-#}
with

courses as (
    select * from {{ ref('int_courses_keyed') }}
    where in_catalog
),

tokens as (
    select course_key, 'category:' || category as token, {{ var('content_weight_category', 1.0) }} as weight
    from courses where category is not null
    union all
    select course_key, 'format:' || format, {{ var('content_weight_format', 0.5) }}
    from courses where format is not null
    union all
    select course_key, 'price:' || price_band, {{ var('content_weight_price', 0.5) }}
    from courses where price_band is not null
    union all
    select
        course_key,
        'tag:' || tag,
        {{ var('content_weight_tags', 1.0) }} / sqrt(len(tags))
    from courses, unnest(tags) as t(tag)
),

tag_rank as (
    select
        token,
        row_number() over (order by count(*) desc, token) as tag_rank
    from tokens
    where token like 'tag:%'
    group by token
),

kept as (
    select tokens.*
    from tokens
    left join tag_rank on tokens.token = tag_rank.token
    where tag_rank.tag_rank is null or tag_rank.tag_rank <= {{ var('content_max_tags', 256) }}
),

vocabulary as (
    select token, row_number() over (order by token) - 1 as slot
    from (select distinct token from kept)
),

slots as (
    select
        courses.course_key,
        vocabulary.slot,
        coalesce(sum(kept.weight), 0.0) as weight
    from courses
    cross join vocabulary
    left join kept
        on courses.course_key = kept.course_key and vocabulary.token = kept.token
    group by all
),

final as (
    select
        courses.course_key,
        courses.course_id,
        courses.category,
        list(slots.weight order by slots.slot) as content_vector
    from courses
    inner join slots on courses.course_key = slots.course_key
    group by all
)

select * from final
