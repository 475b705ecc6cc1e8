{#-
    One row per user x campaign to send: the audience of each playbook in seed
    campaign_playbooks, as of the build.
      - Only users with marketing consent, not on the suppression list, and not sent a
        non-stackable campaign within the playbook's frequency cap.
      - A user gets at most one non-stackable campaign: the highest-priority one they
        match (lowest `priority`); stackable campaigns come on top.
      - user_key is pseudonymous: HMAC-SHA256 of the user id keyed with $LEARNMART_SALT; no raw id or
        PII is in this table.
      - A campaign with target_demographics reaches at least var k_anonymity users, or
        nobody: a smaller demographic group is never singled out.
      - group: control for a deterministic share (the playbook's control_share) chosen by
        a hash of campaign and user, so a user stays in the same group across rebuilds.
-#}
with

targets as (
    select * from {{ ref('int_campaign_users_targeted') }}
),

recommendations as (
    select user_id, course_id from {{ ref('user_recommendations') }}
    where rank = 1
),

allowed as (
    -- targets holds marketable users only (consent, not suppressed)
    select *
    from targets
    where not is_capped
),

assigned as (
    select *
    from allowed
    where stackable
        or campaign = (
            select arg_min(other.campaign, (other.priority, other.campaign))
            from allowed as other
            where other.user_id = allowed.user_id and not other.stackable
        )
),

final as (
    select
        assigned.campaign,
        assigned.user_key,
        assigned.rfm_segment,
        assigned.lifecycle_stage,
        assigned.purchase_propensity,
        assigned.top_category,
        recommendations.course_id as offer_course_id,
        case
            when {{ hash_fraction("assigned.campaign || ':' || assigned.user_id") }} < assigned.control_share
                then 'control'
            else 'treatment'
        end as "group",
        row_number() over (partition by assigned.campaign order by assigned.user_key) as audience_rank
    from assigned
    left join recommendations on assigned.user_id = recommendations.user_id
    -- a campaign aimed at demographics reaches at least var k_anonymity users, or nobody
    qualify trim(assigned.target_demographics) = '*'
        or count(*) over (partition by assigned.campaign) >= {{ var('k_anonymity') }}
)

select * from final
