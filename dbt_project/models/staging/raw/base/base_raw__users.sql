{#-
    Every raw user row read, typed, with the first contract rule it breaks (or NULL).
    Email and phone are hashed here (salted SHA-256) and the clear values go no further.
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
        {{ salted_hash("regexp_replace(phone, '[^0-9+]', '', 'g')") }} as phone_hash
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
