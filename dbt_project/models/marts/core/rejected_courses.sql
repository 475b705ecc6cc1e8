with

validated as (
    select * from {{ ref('base_raw__courses') }}
),

final as (
    select
        _source_file as source_file,
        _source_row as source_row,
        course_id,
        title,
        category,
        tags,
        format,
        price_text as price,
        instructor_id,
        published_at_text as published_at,
        reject_reason
    from validated
    where reject_reason is not null
)

select * from final
