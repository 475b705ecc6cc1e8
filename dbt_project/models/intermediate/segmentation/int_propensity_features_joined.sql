{#-
    One row per user x snapshot: the propensity model's inputs (columns f_*, all numeric)
    and label. Features are ones that exist in any transaction log, purchase-only exports
    included (recency, frequency, tenure, inter-purchase gaps, recent activity), on log
    scales so that heavy users do not dominate. Adding a column named f_<something> here
    adds it to the model; nothing else needs to change.
-#}
with

snapshots as (
    select * from {{ ref('int_user_snapshots_aggregated') }}
),

bgnbd as (
    select * from {{ ref('int_bgnbd_scored') }}
),

final as (
    select
        snapshots.snapshot,
        snapshots.user_id,
        snapshots.paid_next,
        ln(1 + paid_orders) as f_log_orders,
        cast(paid_orders > 0 as double) as f_has_paid,
        ln(1 + coalesce(recency_days, tenure_days)) as f_log_recency,
        ln(1 + tenure_days) as f_log_tenure,
        -- how far into the customer's life the last order came (BG/NBD's t_x / T)
        case when paid_orders > 0 then greatest(0, 1 - recency_days / (tenure_days + 1)) else 0 end
            as f_last_order_position,
        ln(1 + 30.0 * paid_orders / (tenure_days + 1)) as f_log_orders_per_30d,
        ln(1 + coalesce(avg_days_between_orders, tenure_days)) as f_log_avg_gap,
        -- days since the last order in units of the user's usual gap: > 1 means overdue
        case
            when paid_orders > 1 then ln(1 + recency_days / (avg_days_between_orders + 1))
            when paid_orders = 1 then ln(1 + recency_days / (tenure_days + 1))
            else 0
        end as f_log_overdue,
        ln(1 + orders_30d) as f_log_orders_30d,
        ln(1 + orders_90d) as f_log_orders_90d,
        ln(1 + greatest(monetary, 0)) as f_log_monetary,
        ln(1 + active_days_30d) as f_log_active_days_30d,
        ln(1 + browse_events_30d) as f_log_browse_30d,
        ln(1 + coalesce(days_since_last_seen, tenure_days)) as f_log_days_since_seen,
        cast(is_member as double) as f_is_member,
        cast(refunds > 0 as double) as f_has_refund,
        -- BG/NBD's own answer, fitted on the same history: the model can lean on it where
        -- it is right and correct it where activity tells more
        coalesce(ln(greatest(bgnbd.bgnbd_p_purchase, 1e-6) / greatest(1 - bgnbd.bgnbd_p_purchase, 1e-6)), 0)
            as f_bgnbd_logit,
        coalesce(bgnbd.bgnbd_p_alive, 0) as f_bgnbd_p_alive
    from snapshots
    left join bgnbd on snapshots.snapshot = bgnbd.snapshot and snapshots.user_id = bgnbd.user_id
)

select * from final
