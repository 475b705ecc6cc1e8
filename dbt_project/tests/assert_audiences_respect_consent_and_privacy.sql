-- No member of any audience or export (campaign, interest, lookalike) lacks marketing
-- consent or is on the suppression list, and no audience key is a raw user id: every
-- key maps back (through the salted hash) to a consenting, unsuppressed user.
with

audiences as (
    select campaign, user_key from {{ ref('campaign_audiences') }}
    union all
    select 'interest:' || category, user_key from {{ ref('interest_audiences') }}
    union all
    select 'lookalike:' || course_id, user_key from {{ ref('course_lookalikes') }}
),

users as (
    select
        user_id,
        has_marketing_consent,
        sha256({{ learnmart_quote(learnmart_salt()) }} || user_id) as hashed
    from {{ ref('int_users_keyed') }}
),

suppressed as (
    select user_id from {{ ref('stg_raw__suppressions') }}
)

select audiences.campaign, audiences.user_key, 'not a hash of a known user' as problem
from audiences
left join users on audiences.user_key = users.hashed
where users.user_id is null
union all
select audiences.campaign, audiences.user_key, 'no marketing consent'
from audiences
inner join users on audiences.user_key = users.hashed
where not users.has_marketing_consent
union all
select audiences.campaign, audiences.user_key, 'suppressed'
from audiences
inner join users on audiences.user_key = users.hashed
inner join suppressed on users.user_id = suppressed.user_id
union all
select audiences.campaign, audiences.user_key, 'raw user id as key'
from audiences
inner join users on audiences.user_key = users.user_id
