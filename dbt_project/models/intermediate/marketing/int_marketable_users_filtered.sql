{#-
    One row per user who may be marketed to: marketing consent given and not on the
    suppression list, with the pseudonymous key used in every export.
-#}
with

users as (
    select user_id, has_marketing_consent from {{ ref('int_users_keyed') }}
),

suppressions as (
    select user_id from {{ ref('stg_raw__suppressions') }}
),

final as (
    select
        users.user_id,
        {{ salted_hash('users.user_id') }} as user_key
    from users
    left join suppressions on users.user_id = suppressions.user_id
    where users.has_marketing_consent and suppressions.user_id is null
)

select * from final
