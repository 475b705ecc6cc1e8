{#-
    One row per user x campaign of seed campaign_playbooks whose targeting the user
    matches (segment, lifecycle stage, propensity band, top category), with the flags
    that decide whether the user may receive it: marketing consent, suppression list, and
    a recent send of a non-stackable campaign within the playbook's frequency cap.
-#}
with

segments as (
    select * from {{ ref('user_segments') }}
),

profiles as (
    select user_id, top_category_1 from {{ ref('user_profiles') }}
),

users as (
    select user_id, has_marketing_consent from {{ ref('int_users_keyed') }}
),

suppressions as (
    select user_id from {{ ref('stg_raw__suppressions') }}
),

sends as (
    select * from {{ ref('stg_raw__campaign_sends') }}
),

playbooks as (
    select * from {{ ref('campaign_playbooks') }}
),

context as (
    select as_of from {{ ref('int_build_context') }}
),

last_exclusive_send as (
    -- sends of non-stackable campaigns count toward every frequency cap
    select sends.user_id, max(sends.sent_at) as last_sent_at
    from sends
    left join playbooks on sends.campaign = playbooks.campaign
    where not coalesce(playbooks.stackable, false)
    group by sends.user_id
),

matched as (
    select
        segments.user_id,
        playbooks.campaign,
        playbooks.priority,
        playbooks.stackable,
        playbooks.control_share,
        playbooks.frequency_cap_days,
        segments.rfm_segment,
        segments.lifecycle_stage,
        segments.purchase_propensity,
        profiles.top_category_1 as top_category
    from segments
    inner join profiles on segments.user_id = profiles.user_id
    inner join playbooks
        on (playbooks.target_segments = '*'
            or list_contains(string_split(playbooks.target_segments, '|'), segments.rfm_segment))
        and (playbooks.target_stages = '*'
            or list_contains(string_split(playbooks.target_stages, '|'), segments.lifecycle_stage))
        and segments.purchase_propensity between playbooks.min_propensity and playbooks.max_propensity
        and (playbooks.target_categories = '*'
            or list_contains(string_split(playbooks.target_categories, '|'), profiles.top_category_1))
),

final as (
    select
        matched.*,
        coalesce(users.has_marketing_consent, false) as has_marketing_consent,
        suppressions.user_id is not null as is_suppressed,
        coalesce(
            last_exclusive_send.last_sent_at
                > context.as_of - to_days(cast(matched.frequency_cap_days as integer)),
            false
        ) as is_capped
    from matched
    cross join context
    left join users on matched.user_id = users.user_id
    left join suppressions on matched.user_id = suppressions.user_id
    left join last_exclusive_send on matched.user_id = last_exclusive_send.user_id
)

select * from final
