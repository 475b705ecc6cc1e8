with

validated as (
    select * from {{ ref('base_raw__suppressions') }}
),

final as (
    select
        _source_file as source_file,
        _source_row as source_row,
        user_id,
        reason,
        reject_reason
    from validated
    where reject_reason is not null
)

select * from final
