-- segment_summary's revenue adds up exactly to net revenue (purchases - refunds) of the
-- accepted events in the build's window.
with

summary as (
    select coalesce(sum(revenue), 0) as revenue from {{ ref('segment_summary') }}
),

events as (
    select
        coalesce(sum(amount) filter (where event_type = 'purchase'), 0)
        - coalesce(sum(amount) filter (where event_type = 'refund'), 0) as revenue
    from {{ ref('int_events_windowed') }}
)

select summary.revenue as summary_revenue, events.revenue as event_revenue
from summary
cross join events
where summary.revenue is distinct from events.revenue
