{#-
    One row per behavioural cluster: its size and revenue with their shares, the centroid in
    original units (the members' averages of the features it was fitted on), the top
    categories, the RFM segment mix and the distinctive features with their z-scores.
-#}
with

clusters as (
    select * from {{ ref('int_clusters_fitted') }}
),

members as (
    select * from {{ ref('user_clusters') }}
),

behaviour as (
    select * from {{ ref('int_user_behaviour_aggregated') }}
),

features as (
    select user_id, monetary from {{ ref('user_features') }}
),

segments as (
    select user_id, rfm_segment from {{ ref('user_segments') }}
),

categories as (
    select user_id, category, affinity from {{ ref('int_user_category_affinity_scored') }}
),

per_cluster as (
    select
        members.cluster_id,
        count(*) as users,
        sum(features.monetary) as revenue,
        avg(behaviour.active_days) as avg_active_days,
        avg(behaviour.days_since_last_seen) as avg_days_since_last_seen,
        avg(behaviour.frequency) as avg_frequency,
        avg(behaviour.monetary) as avg_monetary,
        avg(behaviour.completion_share) as avg_completion_share,
        avg(behaviour.learning_minutes_total) as avg_learning_minutes_total,
        avg(behaviour.avg_session_minutes) as avg_session_minutes,
        avg(behaviour.category_focus) as avg_category_focus,
        avg(behaviour.discount_share) as avg_discount_share,
        avg(behaviour.video_share) as avg_video_share,
        avg(behaviour.audio_share) as avg_audio_share,
        avg(behaviour.ebook_share) as avg_ebook_share,
        avg(behaviour.live_share) as avg_live_share,
        avg(behaviour.column_share) as avg_column_share,
        avg(behaviour.night_share) as avg_night_share,
        avg(behaviour.morning_share) as avg_morning_share,
        avg(behaviour.evening_share) as avg_evening_share
    from members
    inner join behaviour on members.user_key = behaviour.user_key
    inner join features on members.user_id = features.user_id
    group by members.cluster_id
),

segment_counts as (
    select
        members.cluster_id,
        segments.rfm_segment,
        count(*) as users,
        count(*) / sum(count(*)) over (partition by members.cluster_id) as share
    from members
    inner join segments on members.user_id = segments.user_id
    group by members.cluster_id, segments.rfm_segment
),

segment_mix as (
    -- "Champions 41%, Loyal 22%, ...": largest first, ties by name
    select
        cluster_id,
        string_agg(
            rfm_segment || ' ' || cast(round(100 * share) as integer) || '%',
            ', ' order by users desc, rfm_segment
        ) as rfm_segment_mix
    from segment_counts
    group by cluster_id
),

category_totals as (
    select members.cluster_id, categories.category, sum(categories.affinity) as affinity
    from members
    inner join categories on members.user_id = categories.user_id
    group by all
),

top_categories as (
    select
        cluster_id,
        list(category order by affinity desc, category)[1:3] as top_categories
    from category_totals
    group by cluster_id
),

final as (
    select
        clusters.cluster_id,
        clusters.cluster_name,
        coalesce(per_cluster.users, 0) as users,
        coalesce(per_cluster.users, 0) / sum(coalesce(per_cluster.users, 0)) over () as share_of_users,
        cast(coalesce(per_cluster.revenue, 0) as decimal(18, 2)) as revenue,
        case when sum(per_cluster.revenue) over () != 0
            then coalesce(per_cluster.revenue, 0) / sum(per_cluster.revenue) over () end as share_of_revenue,
        top_categories.top_categories,
        segment_mix.rfm_segment_mix,
        clusters.distinctive_features,
        per_cluster.avg_active_days,
        per_cluster.avg_days_since_last_seen,
        per_cluster.avg_frequency,
        cast(per_cluster.avg_monetary as decimal(18, 2)) as avg_monetary,
        per_cluster.avg_completion_share,
        per_cluster.avg_learning_minutes_total,
        per_cluster.avg_session_minutes,
        per_cluster.avg_category_focus,
        per_cluster.avg_discount_share,
        per_cluster.avg_video_share,
        per_cluster.avg_audio_share,
        per_cluster.avg_ebook_share,
        per_cluster.avg_live_share,
        per_cluster.avg_column_share,
        per_cluster.avg_night_share,
        per_cluster.avg_morning_share,
        per_cluster.avg_evening_share,
        clusters.centroid_z
    from clusters
    left join per_cluster on clusters.cluster_id = per_cluster.cluster_id
    left join segment_mix on clusters.cluster_id = segment_mix.cluster_id
    left join top_categories on clusters.cluster_id = top_categories.cluster_id
)

select * from final
order by cluster_id
