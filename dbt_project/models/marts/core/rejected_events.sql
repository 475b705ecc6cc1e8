with

validated as (
    select * from {{ ref('base_raw__events') }}
),

final as (
    select
        _source_file as source_file,
        _source_row as source_row,
        event_id,
        user_id,
        course_id,
        event_type,
        event_ts_text as event_ts,
        amount_text as amount,
        currency,
        rating_text as rating,
        channel,
        duration_text as duration_seconds,
        progress_text as progress,
        reject_reason
    from validated
    where reject_reason is not null
)

select * from final
