{#-
    One row per user: the profile (用户画像) a marketer reads - tier, stage, top three
    categories with their share of the user's affinity, preferred format and price band,
    propensity, last purchase, learning time, the user's generalized demographics (bands
    and regions, never a birthdate or an address), and the recommended next action: the
    highest-priority playbook in the seed campaign_playbooks whose targeting matches the user.
-#}
with

features as (
    select * from {{ ref('user_features') }}
),

users as (
    select * from {{ ref('int_users_keyed') }}
),

demographics as (
    select * from {{ ref('int_user_demographics_generalized') }}
),

segments as (
    select * from {{ ref('user_segments') }}
),

orders as (
    select * from {{ ref('int_orders_refunded') }}
),

playbooks as (
    select * from {{ ref('campaign_playbooks') }}
),

category_ranked as (
    select * from {{ ref('int_user_category_affinity_scored') }}
    where category_rank <= 3
),

top_categories as (
    select
        user_id,
        max(category) filter (where category_rank = 1) as top_category_1,
        max(share) filter (where category_rank = 1) as top_category_1_share,
        max(category) filter (where category_rank = 2) as top_category_2,
        max(share) filter (where category_rank = 2) as top_category_2_share,
        max(category) filter (where category_rank = 3) as top_category_3,
        max(share) filter (where category_rank = 3) as top_category_3_share
    from category_ranked
    group by user_id
),

last_orders as (
    select
        user_id,
        arg_max(course_id, (ordered_at, course_id)) as last_purchase_course_id,
        arg_max(amount, (ordered_at, course_id)) as last_purchase_amount
    from orders
    where not is_fully_refunded
    group by user_id
),

next_actions as (
    select
        segments.user_id,
        arg_min(playbooks.campaign, (playbooks.priority, playbooks.campaign)) as next_campaign,
        arg_min(playbooks.next_action, (playbooks.priority, playbooks.campaign)) as next_action
    from segments
    left join top_categories on segments.user_id = top_categories.user_id
    left join users on segments.user_id = users.user_id
    inner join playbooks
        on {{ playbook_matches('playbooks', 'segments.rfm_segment', 'segments.lifecycle_stage',
                               'segments.purchase_propensity', 'top_categories.top_category_1', 'users') }}
    group by segments.user_id
),

final as (
    select
        features.user_key,
        features.user_id,
        segments.rfm_segment,
        segments.lifecycle_stage,
        segments.r_score,
        segments.f_score,
        segments.m_score,
        segments.purchase_propensity,
        top_categories.top_category_1,
        top_categories.top_category_1_share,
        top_categories.top_category_2,
        top_categories.top_category_2_share,
        top_categories.top_category_3,
        top_categories.top_category_3_share,
        features.preferred_format,
        features.price_band,
        features.frequency,
        features.monetary,
        features.last_purchase_at,
        last_orders.last_purchase_course_id,
        last_orders.last_purchase_amount,
        features.is_member,
        features.current_checkin_streak,
        features.learning_minutes_30d,
        features.completion_rate,
        -- as they may be shown: a value of fewer than var k_anonymity users is '(other)'
        {%- for attribute in demographic_attributes() %}
        nullif(demographics.{{ attribute }}, '(not given)') as {{ attribute }},
        {%- endfor %}
        next_actions.next_campaign,
        next_actions.next_action
    from features
    inner join segments on features.user_id = segments.user_id
    inner join demographics on features.user_key = demographics.user_key
    left join top_categories on features.user_id = top_categories.user_id
    left join last_orders on features.user_id = last_orders.user_id
    left join next_actions on features.user_id = next_actions.user_id
)

-- stored in lookup order: DuckDB's zone maps then skip straight to one key's rows
select * from final
order by user_id
