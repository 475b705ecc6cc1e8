{#-
    Every rejected event row: by the events file's own rules (base_raw__events, with the
    raw text as read) and by the rules about other entities (int_events_rejected: rows that
    passed the file's rules, so their values are shown as typed).
-#}
with

validated as (
    select * from {{ ref('base_raw__events') }}
),

cross_entity as (
    select * from {{ ref('int_events_rejected') }}
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

    union all

    select
        source_file,
        source_row,
        event_id,
        user_id,
        course_id,
        event_type,
        -- ISO 8601 in UTC, as a file could have written it
        case
            when date_part('microseconds', event_ts) % 1000000 = 0 then strftime(event_ts, '%Y-%m-%dT%H:%M:%SZ')
            else strftime(event_ts, '%Y-%m-%dT%H:%M:%S.%fZ')
        end,
        cast(amount as varchar),
        currency,
        cast(rating as varchar),
        channel,
        cast(duration_seconds as varchar),
        cast(progress as varchar),
        reject_reason
    from cross_entity
)

select * from final
