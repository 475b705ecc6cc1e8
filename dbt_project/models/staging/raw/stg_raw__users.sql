with

validated as (
    select * from {{ ref('base_raw__users') }}
),

final as (
    select
        user_id,
        signup_ts,
        channel,
        -- missing consent means no consent
        coalesce(marketing_consent, false) as has_marketing_consent,
        email_hash,
        phone_hash,
        age_band,
        gender,
        region,
        occupation,
        education
    from validated
    where reject_reason is null
)

select * from final
