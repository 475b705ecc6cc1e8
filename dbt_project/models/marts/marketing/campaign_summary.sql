{#-
    One row per campaign of the playbook (seed campaign_playbooks), with how many users this
    build put in its treatment and control groups (0 when none qualified, or when a
    campaign aimed at demographics would reach fewer than var k_anonymity users): what
    `learnmart campaigns` shows.
-#}
with

playbooks as (
    select * from {{ ref('campaign_playbooks') }}
),

audiences as (
    select * from {{ ref('campaign_audiences') }}
),

group_sizes as (
    select
        campaign,
        count(*) filter (where "group" = 'treatment') as treatment,
        count(*) filter (where "group" = 'control') as control
    from audiences
    group by campaign
),

final as (
    select
        playbooks.campaign,
        playbooks.priority,
        playbooks.offer,
        playbooks.channel,
        playbooks.target_segments,
        playbooks.target_stages,
        playbooks.target_demographics,
        playbooks.control_share,
        playbooks.stackable,
        coalesce(group_sizes.treatment, 0) as treatment,
        coalesce(group_sizes.control, 0) as control
    from playbooks
    left join group_sizes on playbooks.campaign = group_sizes.campaign
)

select * from final
