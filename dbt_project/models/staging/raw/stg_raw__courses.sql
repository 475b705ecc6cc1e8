with

validated as (
    select * from {{ ref('base_raw__courses') }}
),

final as (
    select
        course_id,
        title,
        category,
        -- tags: '|'-separated text to a trimmed, lower-cased, de-duplicated list
        list_sort(list_distinct(
            [lower(trim(t)) for t in string_split(coalesce(tags, ''), '|') if trim(t) != '']
        )) as tags,
        format,
        price,
        instructor_id,
        published_at
    from validated
    where reject_reason is null
)

select * from final
