{#-
    One row per refund event in the window, matched to the order it refunds: the latest
    earlier purchase of the same course by the same user (as-of join). A refund counts
    only up to what is left of that order's amount (the refund rule of
    docs/raw_contract.md): `counted_amount` is what net revenue subtracts, and
    `refund_issue` says why it is less than `refund_amount`.
-#}
with

events as (
    select * from {{ ref('int_events_windowed') }}
),

purchases as (
    select
        event_id as order_id,
        user_id,
        course_id,
        event_ts as ordered_at,
        amount as order_amount
    from events
    where event_type = 'purchase'
),

refunds as (
    select
        event_id as refund_id,
        user_id,
        course_id,
        event_ts as refunded_at,
        amount as refund_amount
    from events
    where event_type = 'refund'
),

matched as (
    select
        refunds.*,
        purchases.order_id,
        purchases.order_amount
    from refunds
    asof left join purchases
        on refunds.user_id = purchases.user_id
        and refunds.course_id = purchases.course_id
        and refunds.refunded_at >= purchases.ordered_at
),

running as (
    -- what earlier refunds of the same order already took back
    select
        *,
        coalesce(sum(refund_amount) over (
            partition by order_id order by refunded_at, refund_id
            rows between unbounded preceding and 1 preceding
        ), 0) as refunded_before
    from matched
),

final as (
    select
        refund_id,
        user_id,
        course_id,
        refunded_at,
        refund_amount,
        order_id,
        case
            when order_id is null then 0
            else least(refund_amount, greatest(order_amount - refunded_before, 0))
        end as counted_amount,
        case
            when order_id is null then 'no_earlier_purchase'
            when refund_amount > order_amount - refunded_before then 'beyond_amount_paid'
        end as refund_issue
    from running
)

select * from final
