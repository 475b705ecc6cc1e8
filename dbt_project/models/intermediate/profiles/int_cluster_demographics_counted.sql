{#-
    One row per behavioural cluster x demographic attribute x value as it may be shown
    (int_user_demographics_generalized): the cluster's users holding it. The grid is whole,
    zero cells included, so that the suppression can hide a zero and a hidden cell cannot be
    told from an absent one. int_cluster_demographics_suppressed decides what shows.
-#}
{%- set attributes = demographic_attributes() %}
with

clusters as (
    select cluster_id, cluster_name, user_keys from {{ ref('int_clusters_fitted') }}
),

members as (
    select cluster_id, unnest(user_keys) as user_key from clusters
),

generalized as (
    select * from {{ ref('int_user_demographics_generalized') }}
),

joined as (
    select
        members.cluster_id,
        {%- for attribute in attributes %}
        generalized.{{ attribute }}{{ "," if not loop.last }}
        {%- endfor %}
    from members
    inner join generalized on members.user_key = generalized.user_key
),

held as (
    -- one row per member x attribute
    select cluster_id, attribute, value
    from joined
    unpivot (value for attribute in ({{ attributes | join(', ') }}))
),

counted as (
    select cluster_id, attribute, value, count(*) as users
    from held
    group by all
),

grid as (
    select clusters.cluster_id, clusters.cluster_name, shown.attribute, shown.value
    from clusters
    cross join (select distinct attribute, value from held) as shown
),

final as (
    select
        grid.cluster_id,
        grid.cluster_name,
        grid.attribute,
        grid.value,
        coalesce(counted.users, 0) as users
    from grid
    left join counted
        on grid.cluster_id = counted.cluster_id
        and grid.attribute = counted.attribute
        and grid.value = counted.value
)

select * from final
