{#- One row per user: RFM scores and segment, lifecycle stage and purchase propensity, as of the build. -#}
with

rfm as (
    select * from {{ ref('int_user_rfm_scored') }}
    where snapshot = 'current'
),

propensity as (
    select * from {{ ref('int_propensity_calibrated') }}
    where snapshot = 'current'
),

users as (
    select user_key, user_id from {{ ref('int_users_keyed') }}
),

final as (
    select
        users.user_key,
        rfm.user_id,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        case
            when rfm.r_score is not null
                then cast(rfm.r_score as varchar) || cast(rfm.f_score as varchar) || cast(rfm.m_score as varchar)
        end as rfm_cell,
        rfm.rfm_segment,
        rfm.lifecycle_stage,
        cast(propensity.purchase_propensity as double) as purchase_propensity,
        propensity.propensity_model,
        propensity.propensity_status
    from rfm
    inner join users on rfm.user_id = users.user_id
    left join propensity on rfm.user_id = propensity.user_id
)

select * from final
