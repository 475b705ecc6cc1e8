{#-
    Every raw user row read, typed, with the first contract rule it breaks (or NULL).
    Email and phone are hashed here (salted SHA-256) and the clear values go no further.
    Demographics are generalized categories only: an age band that is an exact age or a
    date is rejected (files with birthdate or address columns never get this far).
-#}
with

source as (
    select * from {{ raw_relation('users') }}
),

typed as (
    select
        _source_file,
        _source_row,
        user_id,
        signup_ts as signup_ts_text,
        {{ raw_timestamp('signup_ts') }} as signup_ts,
        lower(channel) as channel,
        marketing_consent as marketing_consent_text,
        {{ parse_bool('marketing_consent') }} as marketing_consent,
        {{ salted_hash('lower(email)') }} as email_hash,
        {{ salted_hash("regexp_replace(phone, '[^0-9+]', '', 'g')") }} as phone_hash,
        lower(age_band) as age_band,
        lower(gender) as gender,
        lower(region) as region,
        lower(occupation) as occupation,
        lower(education) as education
    from source
),

checked as (
    select
        *,
        case
            when user_id is null then 'missing_user_id'
            when {{ has_control_character(['user_id']) }} then 'invalid_id'
            when signup_ts_text is not null and signup_ts is null then 'unparseable_timestamp'
            when marketing_consent_text is not null and marketing_consent is null
                then 'invalid_marketing_consent'
            -- a band ('25-34', '55+', '<18', 'adult'), never an exact age or a birth date
            when age_band is not null and not {{ is_age_band('age_band') }} then 'invalid_age_band'
        end as contract_violation
    from typed
),

final as (
    select
        * exclude (contract_violation),
        coalesce(
            contract_violation,
            case
                when row_number() over (
                    partition by user_id order by contract_violation is not null, _source_row
                ) > 1
                    then 'duplicate_user_id'
            end
        ) as reject_reason
    from checked
)

select * from final
