{#-
    One row per user the recommender ranks for, with the RFM segment whose favourites fill
    a short or empty history. Taken from the RFM scoring directly (not user_segments), so
    recommendations do not wait for the propensity and BG/NBD models.
-#}
with

users as (
    select user_key, user_id from {{ ref('int_users_keyed') }}
),

rfm as (
    select user_id, rfm_segment from {{ ref('int_user_rfm_scored') }}
    where snapshot = 'current'
),

final as (
    select
        users.user_key,
        rfm.rfm_segment
    from users
    left join rfm on users.user_id = rfm.user_id
)

select * from final
order by user_key
