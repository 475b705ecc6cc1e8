with

validated as (
    select * from {{ ref('base_raw__suppressions') }}
),

final as (
    select
        user_id,
        reason
    from validated
    where reject_reason is null
)

select * from final
