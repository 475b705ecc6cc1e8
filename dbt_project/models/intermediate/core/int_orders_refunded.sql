{#-
    One row per purchase event in the window (an order), with the refunds matched to it
    (int_refunds_matched), each counted up to what was left of the order's amount. An
    order is fully refunded when its matched refunds reach its amount.
-#}
with

events as (
    select * from {{ ref('int_events_windowed') }}
),

matched_refunds as (
    select * from {{ ref('int_refunds_matched') }}
),

purchases as (
    select
        event_id as order_id,
        user_id,
        course_id,
        event_ts as ordered_at,
        amount
    from events
    where event_type = 'purchase'
),

refunded as (
    select
        order_id,
        min(refunded_at) as first_refunded_at,
        max(refunded_at) as last_refunded_at,
        sum(counted_amount) as refund_amount
    from matched_refunds
    where order_id is not null
    group by order_id
),

final as (
    select
        purchases.order_id,
        purchases.user_id,
        purchases.course_id,
        purchases.ordered_at,
        purchases.amount,
        coalesce(refunded.refund_amount, 0) as refund_amount,
        refunded.last_refunded_at,
        coalesce(refunded.refund_amount >= purchases.amount, false) as is_fully_refunded,
        purchases.course_id is null as is_membership
    from purchases
    left join refunded on purchases.order_id = refunded.order_id
)

select * from final
