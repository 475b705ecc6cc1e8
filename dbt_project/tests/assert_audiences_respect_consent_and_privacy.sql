-- No member of any audience or export (campaign, interest, lookalike) lacks marketing
-- consent or is on the suppression list, and no audience key is a raw user id: every
-- key is a 64-hex-digit keyed hash that maps back (through int_marketable_users_filtered) to a
-- consenting, unsuppressed user. The hash itself is checked from outside, by pytest,
-- because its key must appear in no SQL (not even this test's stored view).
with

audiences as (
    select campaign, user_key from {{ ref('campaign_audiences') }}
    union all
    select 'interest:' || category, user_key from {{ ref('interest_audiences') }}
    union all
    select 'lookalike:' || course_id, user_key from {{ ref('course_lookalikes') }}
),

keys as (
    select user_id, user_key from {{ ref('int_marketable_users_filtered') }}
),

users as (
    select
        keys.user_key,
        users.user_id,
        users.has_marketing_consent
    from {{ ref('int_users_keyed') }} as users
    inner join keys on users.user_id = keys.user_id
),

suppressed as (
    select user_id from {{ ref('stg_raw__suppressions') }}
),

all_users as (
    select user_id from {{ ref('int_users_keyed') }}
)

select audiences.campaign, audiences.user_key, 'not the key of a known user' as problem
from audiences
left join users on audiences.user_key = users.user_key
where users.user_id is null
union all
select audiences.campaign, audiences.user_key, 'not a keyed hash'
from audiences
where not regexp_full_match(audiences.user_key, '[0-9a-f]{64}')
union all
select audiences.campaign, audiences.user_key, 'no marketing consent'
from audiences
inner join users on audiences.user_key = users.user_key
where not users.has_marketing_consent
union all
select audiences.campaign, audiences.user_key, 'suppressed'
from audiences
inner join users on audiences.user_key = users.user_key
inner join suppressed on users.user_id = suppressed.user_id
union all
select audiences.campaign, audiences.user_key, 'raw user id as key'
from audiences
inner join all_users on audiences.user_key = all_users.user_id
