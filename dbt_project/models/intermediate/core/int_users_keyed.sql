{#-
    One row per user seen in events (in the window) or in the users file (signed up by as-of), with an integer
    surrogate key for hot joins and the user's attributes from the users file.
-#}
with

events as (
    select user_id from {{ ref('int_events_windowed') }}
),

context as (
    select as_of from {{ ref('int_build_context_resolved') }}
),

users as (
    -- users who signed up after the as-of time do not exist yet in this build
    select stg.*
    from {{ ref('stg_raw__users') }} as stg
    cross join context
    where stg.signup_ts is null or stg.signup_ts <= context.as_of
),

ids as (
    select user_id from events
    union
    select user_id from users
),

final as (
    select
        row_number() over (order by ids.user_id) as user_key,
        ids.user_id,
        users.signup_ts,
        users.channel as acquisition_channel,
        coalesce(users.has_marketing_consent, false) as has_marketing_consent,
        users.email_hash,
        users.phone_hash,
        users.age_band,
        users.gender,
        users.region,
        users.occupation,
        users.education,
        users.user_id is not null as in_users_file
    from ids
    left join users on ids.user_id = users.user_id
)

select * from final
