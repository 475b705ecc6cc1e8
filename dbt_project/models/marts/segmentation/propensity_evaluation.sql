{#-
    One row per ranker x population: how well purchase propensity ranks who pays in the
    next N days, judged out of time. The evaluation model was fitted on the snapshot at
    as_of - 2N (labels up to as_of - N) and is scored here on the snapshot at as_of - N
    against purchases in (as_of - N, as_of], which it never saw. Beside it, in the same
    run and on the same users: the plain RFM ranking (r_score + f_score + m_score, 0 for
    users who never paid) and BG/NBD fitted on the same history (P(purchase within N days);
    0 for users who never paid). Populations: all users seen by then, and paying customers only
    (the "who buys again" question).
-#}
with

scored as (
    select * from {{ ref('int_propensity_scored') }}
    where snapshot = 'evaluate'
),

rfm as (
    select * from {{ ref('int_user_rfm_scored') }}
    where snapshot = 'evaluate'
),

bgnbd as (
    select * from {{ ref('int_bgnbd_scored') }}
    where snapshot = 'evaluate'
),

context as (
    select as_of from {{ ref('int_build_context') }}
),

candidates as (
    select
        scored.user_id,
        scored.paid_next,
        rfm.r_score is not null as is_paying,
        scored.purchase_propensity,
        coalesce(rfm.r_score + rfm.f_score + rfm.m_score, 0) as rfm_sum,
        coalesce(bgnbd.bgnbd_p_purchase, 0) as bgnbd_p_purchase
    from scored
    inner join rfm on scored.user_id = rfm.user_id
    left join bgnbd on scored.user_id = bgnbd.user_id
),

long_scores as (
    select 'all_users' as population, 'propensity_model' as ranker, user_id, paid_next,
           purchase_propensity as score, purchase_propensity as probability
    from candidates
    union all
    select 'all_users', 'rfm_score', user_id, paid_next, rfm_sum, null
    from candidates
    union all
    select 'paying_users', 'propensity_model', user_id, paid_next, purchase_propensity, purchase_propensity
    from candidates where is_paying
    union all
    select 'paying_users', 'rfm_score', user_id, paid_next, rfm_sum, null
    from candidates where is_paying
    union all
    select 'all_users', 'bgnbd', user_id, paid_next, bgnbd_p_purchase, bgnbd_p_purchase
    from candidates
    union all
    select 'paying_users', 'bgnbd', user_id, paid_next, bgnbd_p_purchase, bgnbd_p_purchase
    from candidates where is_paying
),

aucs as (
    {{ auc_query('long_scores', 'score', 'paid_next', ['population', 'ranker']) }}
),

calibration as (
    select
        population,
        ranker,
        avg(probability) as mean_predicted,
        avg(cast(paid_next as double)) as observed_rate,
        avg(power(probability - cast(paid_next as double), 2)) as brier_score
    from long_scores
    group by all
),

final as (
    select
        aucs.population,
        aucs.ranker,
        aucs.users,
        aucs.positives,
        calibration.observed_rate as base_rate,
        aucs.auc,
        calibration.mean_predicted,
        calibration.brier_score,
        context.as_of - interval {{ 2 * var('propensity_horizon_days') }} day as fitted_as_of,
        context.as_of - interval {{ var('propensity_horizon_days') }} day as evaluated_as_of,
        context.as_of as outcome_window_end
    from aucs
    inner join calibration on aucs.population = calibration.population and aucs.ranker = calibration.ranker
    cross join context
)

select * from final
