{#-
    One row per decile of purchase_propensity (the calibrated champion) on the evaluation
    snapshot: mean predicted probability beside the observed share who paid. The rankers
    never saw this window, but the calibration (Platt) was fitted on it, so the deciles show
    its shape in-sample: how monotone the ranking is, not a fresh test of the probabilities.
    Empty when no propensity was scored.
-#}
with

scored as (
    select * from {{ ref('int_propensity_calibrated') }}
    where snapshot = 'evaluate' and purchase_propensity is not null
),

binned as (
    select
        ntile(10) over (order by purchase_propensity, user_id) as decile,
        purchase_propensity,
        paid_next
    from scored
),

final as (
    select
        cast(decile as integer) as decile,
        count(*) as users,
        avg(purchase_propensity) as mean_predicted,
        avg(cast(paid_next as double)) as observed_rate,
        min(purchase_propensity) as min_predicted,
        max(purchase_propensity) as max_predicted
    from binned
    group by decile
)

select * from final
