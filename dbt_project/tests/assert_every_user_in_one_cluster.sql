-- Every user of user_features is in exactly one behavioural cluster, and cluster_summary's
-- users add up to them cluster by cluster (and in total).
with

features as (
    select user_id from {{ ref('user_features') }}
),

members as (
    select user_id, cluster_id from {{ ref('user_clusters') }}
),

summary as (
    select cluster_id, users from {{ ref('cluster_summary') }}
),

per_user as (
    select features.user_id, count(members.user_id) as clusters
    from features
    left join members on features.user_id = members.user_id
    group by features.user_id
),

per_cluster as (
    select cluster_id, count(*) as users from members group by cluster_id
)

select 'user in ' || clusters || ' clusters: ' || user_id as problem
from per_user
where clusters != 1
union all
select 'cluster ' || coalesce(summary.cluster_id, per_cluster.cluster_id) || ' has '
    || coalesce(per_cluster.users, 0) || ' members but cluster_summary says ' || coalesce(summary.users, 0)
from summary
full join per_cluster on summary.cluster_id = per_cluster.cluster_id
where coalesce(summary.users, 0) != coalesce(per_cluster.users, 0)
union all
select 'cluster_summary adds up to ' || (select sum(users) from summary) || ' users of ' || count(*)
from features
having count(*) != (select coalesce(sum(users), 0) from summary)
