with

validated as (
    select * from {{ ref('base_raw__campaign_sends') }}
),

final as (
    select
        user_id,
        campaign,
        send_group,
        sent_at
    from validated
    where reject_reason is null
)

select * from final
