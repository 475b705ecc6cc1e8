{#-
    One row per marketable user (int_marketable_users_filtered: consent, not suppressed) x campaign
    of seed campaign_playbooks whose targeting the user matches (segment, lifecycle stage,
    propensity band, top category, demographics), with the pseudonymous user_key and whether a recent
    send of a non-stackable campaign within the playbook's frequency cap holds it back.
-#}
with

rfm as (
    select user_id, rfm_segment, lifecycle_stage from {{ ref('int_user_rfm_scored') }}
    where snapshot = 'current'
),

propensity as (
    select user_id, purchase_propensity from {{ ref('int_propensity_calibrated') }}
    where snapshot = 'current'
),

segments as (
    -- what user_segments publishes, from the same intermediate models
    select rfm.*, propensity.purchase_propensity
    from rfm
    left join propensity on rfm.user_id = propensity.user_id
),

profiles as (
    -- the user's top category, as user_profiles' top_category_1
    select user_id, category as top_category_1 from {{ ref('int_user_category_affinity_scored') }}
    where category_rank = 1
),

marketable as (
    select user_id, user_key from {{ ref('int_marketable_users_filtered') }}
),

users as (
    select user_id, {{ demographic_attributes() | join(', ') }} from {{ ref('int_users_keyed') }}
),

sends as (
    select * from {{ ref('stg_raw__campaign_sends') }}
),

playbooks as (
    select * from {{ ref('campaign_playbooks') }}
),

context as (
    select as_of from {{ ref('int_build_context_resolved') }}
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
        marketable.user_key,
        playbooks.campaign,
        playbooks.priority,
        playbooks.stackable,
        playbooks.control_share,
        playbooks.frequency_cap_days,
        segments.rfm_segment,
        segments.lifecycle_stage,
        segments.purchase_propensity,
        profiles.top_category_1 as top_category,
        playbooks.target_demographics
    from segments
    inner join marketable on segments.user_id = marketable.user_id
    left join profiles on segments.user_id = profiles.user_id
    left join users on segments.user_id = users.user_id
    inner join playbooks
        on {{ playbook_matches('playbooks', 'segments.rfm_segment', 'segments.lifecycle_stage',
                               'segments.purchase_propensity', 'profiles.top_category_1', 'users') }}
),

final as (
    select
        matched.*,
        coalesce(
            last_exclusive_send.last_sent_at
                > context.as_of - to_days(cast(matched.frequency_cap_days as integer)),
            false
        ) as is_capped
    from matched
    cross join context
    left join last_exclusive_send on matched.user_id = last_exclusive_send.user_id
)

select * from final
