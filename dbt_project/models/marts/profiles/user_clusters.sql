{#- One row per user: the behavioural cluster (int_clusters_fitted) and the distance to its centroid. -#}
with

clusters as (
    select * from {{ ref('int_clusters_fitted') }}
),

users as (
    select user_key, user_id from {{ ref('int_users_keyed') }}
),

members as (
    select
        cluster_id,
        cluster_name,
        unnest(user_keys) as user_key,
        unnest(distances) as distance_to_centroid
    from clusters
),

final as (
    select
        users.user_key,
        users.user_id,
        members.cluster_id,
        members.cluster_name,
        members.distance_to_centroid
    from members
    inner join users on members.user_key = users.user_key
)

-- stored in lookup order, as user_profiles
select * from final
order by user_id
