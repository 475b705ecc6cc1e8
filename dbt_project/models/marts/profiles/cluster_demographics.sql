{#-
    One row per behavioural cluster x demographic attribute x value (the values of
    demographic_summary: rare ones folded into '(other)'): how many of the cluster's users
    hold it and their share of the cluster, or NULL for both where the cell is suppressed.
    A cell under var('k_anonymity') is suppressed, and so are enough others that no
    small cell can be worked out from the cluster sizes (cluster_summary) and the users per
    value (demographic_summary), along one line or a chain of them;
    int_cluster_demographics_suppressed says which.
-#}
with

cells as (
    select * from {{ ref('int_cluster_demographics_suppressed') }}
),

sizes as (
    select cluster_id, attribute, sum(users) as cluster_users
    from cells
    group by all
),

final as (
    select
        cells.cluster_id,
        cells.cluster_name,
        cells.attribute,
        cells.value,
        case when not cells.is_suppressed then cells.users end as users,
        case when not cells.is_suppressed then cells.users / sizes.cluster_users end as share_of_cluster,
        cells.is_suppressed
    from cells
    inner join sizes on cells.cluster_id = sizes.cluster_id and cells.attribute = sizes.attribute
)

select * from final
order by cluster_id, attribute, users desc nulls last, value
