{#- Every raw suppression-list row read (optional file suppressions: users never to contact). -#}
with

source as (
    select * from {{ raw_relation('suppressions') }}
),

final as (
    select
        _source_file,
        _source_row,
        user_id,
        reason,
        case
            when user_id is null then 'missing_user'
            when {{ has_control_character(['user_id']) }} then 'invalid_id'
            when row_number() over (partition by user_id order by _source_row) > 1 then 'duplicate_user_id'
        end as reject_reason
    from source
)

select * from final
