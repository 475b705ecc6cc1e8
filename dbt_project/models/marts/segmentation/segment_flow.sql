{#-
    One row per (segment N days ago, segment now) with the number of users who moved
    between them (N = var('propensity_horizon_days')): the "segment flow" chart.
    Users who were not yet seen N days ago come from '(not yet seen)'.
-#}
with

rfm as (
    select * from {{ ref('int_user_rfm_scored') }}
    where snapshot in ('evaluate', 'previous', 'current')
),

windows as (
    -- the evaluate snapshot is N days back unless the propensity windows were shifted,
    -- when int_user_snapshots_aggregated adds a `previous` one there
    select case when shift_horizons = 0 then 'evaluate' else 'previous' end as before_snapshot
    from {{ ref('int_propensity_windows_chosen') }}
),

context as (
    select as_of from {{ ref('int_build_context_resolved') }}
),

paired as (
    select
        coalesce(before.rfm_segment, '(not yet seen)') as from_segment,
        now.rfm_segment as to_segment
    from rfm as now
    left join rfm as before
        on now.user_id = before.user_id and before.snapshot = (select before_snapshot from windows)
    where now.snapshot = 'current'
),

final as (
    select
        paired.from_segment,
        paired.to_segment,
        count(*) as users,
        any_value(context.as_of) - interval {{ var('propensity_horizon_days') }} day as from_as_of,
        any_value(context.as_of) as to_as_of
    from paired
    cross join context
    group by paired.from_segment, paired.to_segment
)

select * from final
