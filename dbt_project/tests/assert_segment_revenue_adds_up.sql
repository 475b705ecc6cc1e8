-- segment_summary's revenue adds up exactly to net revenue of the accepted events in the
-- build's window: purchases less refunds as counted against what was paid
-- (int_refunds_matched: never more than the order's amount).
with

summary as (
    select coalesce(sum(revenue), 0) as revenue from {{ ref('segment_summary') }}
),

events as (
    select
        coalesce(sum(amount) filter (where event_type = 'purchase'), 0)
        - (select coalesce(sum(counted_amount), 0) from {{ ref('int_refunds_matched') }}) as revenue
    from {{ ref('int_events_windowed') }}
)

select summary.revenue as summary_revenue, events.revenue as event_revenue
from summary
cross join events
where summary.revenue is distinct from events.revenue
