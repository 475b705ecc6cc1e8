with

validated as (
    select * from {{ ref('base_raw__events') }}
),

final as (
    select
        coalesce(event_id, 'row-' || _source_row) as event_id,
        user_id,
        course_id,
        event_type,
        event_ts,
        amount,
        currency,
        rating,
        channel,
        _source_file as source_file
    from validated
    where reject_reason is null
)

select * from final
