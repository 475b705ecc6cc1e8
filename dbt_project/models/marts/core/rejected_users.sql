with

validated as (
    select * from {{ ref('base_raw__users') }}
),

final as (
    -- PII stays hashed here too: a rejected row is no way around the privacy rule
    select
        _source_file as source_file,
        _source_row as source_row,
        user_id,
        signup_ts_text as signup_ts,
        channel,
        marketing_consent_text as marketing_consent,
        email_hash,
        phone_hash,
        age_band,
        gender,
        region,
        occupation,
        education,
        reject_reason
    from validated
    where reject_reason is not null
)

select * from final
