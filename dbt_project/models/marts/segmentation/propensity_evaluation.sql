{#-
    One row per ranker x population: how well each candidate ranks who pays in the next N
    days, judged out of time. The logistic evaluation model was fitted on the `fit`
    snapshot and is scored here on the `evaluate` snapshot against purchases in the N days
    after it, which it never saw (int_propensity_windows_chosen says when those are). Beside it,
    in the same run and on the same users: the plain RFM ranking (r_score + f_score +
    m_score, 0 for users who never paid), BG/NBD fitted on the same history (P(purchase
    within N days); 0 for users who never paid), their blend, and purchase_propensity:
    the champion (is_champion; the best AUC over all users) calibrated on this window.
    Populations: all users seen by then, and paying customers only ("who buys again").
-#}
with

scored as (
    select * from {{ ref('int_propensity_scored') }}
    where snapshot = 'evaluate'
),

calibrated as (
    select * from {{ ref('int_propensity_calibrated') }}
    where snapshot = 'evaluate'
),

rfm as (
    select * from {{ ref('int_user_rfm_scored') }}
    where snapshot = 'evaluate'
),

champion as (
    select ranker from {{ ref('int_propensity_champion_chosen') }}
    where is_champion
),

windows as (
    select * from {{ ref('int_propensity_windows_chosen') }}
),

context as (
    select as_of from {{ ref('int_build_context_resolved') }}
),

candidates as (
    select
        scored.user_id,
        scored.paid_next,
        rfm.r_score is not null as is_paying,
        scored.score_propensity_model,
        scored.score_bgnbd,
        coalesce(rfm.r_score + rfm.f_score + rfm.m_score, 0) as rfm_sum,
        scored.score_blend,
        calibrated.purchase_propensity
    from scored
    inner join rfm on scored.user_id = rfm.user_id
    inner join calibrated on scored.user_id = calibrated.user_id
),

populations as (
    select 'all_users' as population, * from candidates
    union all
    select 'paying_users', * from candidates where is_paying
),

long_scores as (
    -- (ranker, score to rank by, the probability it claims when it claims one)
    select population, 'propensity_model' as ranker, user_id, paid_next,
           score_propensity_model as score, score_propensity_model as probability
    from populations where score_propensity_model is not null
    union all
    select population, 'bgnbd', user_id, paid_next, score_bgnbd, score_bgnbd from populations
    union all
    select population, 'rfm_score', user_id, paid_next, rfm_sum, null from populations
    union all
    select population, 'blend', user_id, paid_next, score_blend, null from populations
    where score_blend is not null
    union all
    select population, 'purchase_propensity', user_id, paid_next, purchase_propensity, purchase_propensity
    from populations where purchase_propensity is not null
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
        coalesce(aucs.ranker = champion.ranker, false) as is_champion,
        context.as_of - to_days(cast(windows.fit_days_before_as_of as integer)) as fitted_as_of,
        context.as_of - to_days(cast(windows.evaluate_days_before_as_of as integer)) as evaluated_as_of,
        context.as_of - to_days(
            cast(windows.evaluate_days_before_as_of - {{ var('propensity_horizon_days') }} as integer)
        )
            as outcome_window_end
    from aucs
    inner join calibration on aucs.population = calibration.population and aucs.ranker = calibration.ranker
    cross join context
    cross join windows
    left join champion on true
)

select * from final
