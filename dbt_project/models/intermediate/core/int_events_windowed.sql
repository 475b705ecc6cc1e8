{#-
    One row per accepted event at or before the build's as-of time. Events after an
    explicit --as-of are valid (they stay in stg_raw__events) but outside this window.
-#}
with

events as (
    select * from {{ ref('stg_raw__events') }}
),

context as (
    select as_of from {{ ref('int_build_context') }}
),

final as (
    select events.*
    from events
    cross join context
    where events.event_ts <= context.as_of
)

select * from final
