{#-
    Every raw campaign-send row read (optional file campaign_sends: who got which campaign
    when, in which group), typed, with the first contract rule it breaks (or NULL).
-#}
with

source as (
    select * from {{ raw_relation('campaign_sends') }}
),

typed as (
    select
        _source_file,
        _source_row,
        user_id,
        lower(campaign) as campaign,
        lower(coalesce("group", 'treatment')) as send_group,
        sent_at as sent_at_text,
        {{ raw_timestamp('sent_at') }} as sent_at
    from source
),

final as (
    select
        *,
        case
            when user_id is null then 'missing_user'
            when {{ has_control_character(['user_id', 'campaign']) }} then 'invalid_id'
            when campaign is null then 'missing_campaign'
            when sent_at is null then 'unparseable_timestamp'
            when sent_at > {{ built_at() }} then 'future_timestamp'
            when send_group not in ('treatment', 'control') then 'unknown_group'
            when row_number() over (
                partition by user_id, campaign, sent_at order by _source_row
            ) > 1 then 'duplicate_send'
        end as reject_reason
    from typed
)

select * from final
