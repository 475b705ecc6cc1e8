{#-
    One row per marketable user x interest category (their top three categories by
    affinity): the ad-targeting audience "users interested in X", pseudonymous keys only.
-#}
with

marketable as (
    select * from {{ ref('int_marketable_users_filtered') }}
),

profiles as (
    select * from {{ ref('user_profiles') }}
),

interests as (
    select user_id, top_category_1 as category, top_category_1_share as share, 1 as interest_rank
    from profiles where top_category_1 is not null
    union all
    select user_id, top_category_2, top_category_2_share, 2 from profiles where top_category_2 is not null
    union all
    select user_id, top_category_3, top_category_3_share, 3 from profiles where top_category_3 is not null
),

final as (
    select
        interests.category,
        marketable.user_key,
        interests.interest_rank,
        interests.share as interest_share,
        profiles.rfm_segment,
        profiles.purchase_propensity,
        row_number() over (
            partition by interests.category
            order by interests.interest_rank, interests.share desc, marketable.user_key
        ) as audience_rank
    from interests
    inner join marketable on interests.user_id = marketable.user_id
    inner join profiles on interests.user_id = profiles.user_id
)

select * from final
