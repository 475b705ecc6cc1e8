{#-
    The valid raw events, typed. A view over the incremental base_raw__events: it costs
    nothing to build, and its readers push their filters into the base table.
-#}
{{ config(materialized='view') }}

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
        duration_seconds,
        progress,
        _source_file as source_file,
        _source_row as source_row,
        _loaded_at as loaded_at
    from validated
    where reject_reason is null
)

select * from final
