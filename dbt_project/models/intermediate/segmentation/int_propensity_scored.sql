{#-
    One row per user x snapshot (evaluate, current): every candidate ranker's score, each
    a probability-like number in (0, 1) so that one calibration form fits them all:
      score_propensity_model  the logistic models (int_propensity_models_fitted, applied
                              here in SQL): the evaluation model on the evaluate snapshot,
                              which it never saw, the production model on current; NULL
                              when that model was not fitted
      score_bgnbd             BG/NBD's P(purchase within N days); 0 for users who never paid
      score_rfm               (r + f + m + 0.5) / 16; 0.5 / 16 for users who never paid
      score_blend             sigmoid of the mean logit of the logistic model and BG/NBD
    int_propensity_champion_chosen picks one of them by out-of-time AUC.
-#}
with

features as (
    select * from {{ ref('int_propensity_features_joined') }}
    where snapshot in ('evaluate', 'current')
),

coefficients as (
    select * from {{ ref('int_propensity_models_fitted') }}
),

rfm as (
    select * from {{ ref('int_user_rfm_scored') }}
    where snapshot in ('evaluate', 'current')
),

bgnbd as (
    select * from {{ ref('int_bgnbd_scored') }}
    where snapshot in ('evaluate', 'current')
),

long_features as (
    unpivot features
    on columns('^f_')
    into name term value value
),

linear as (
    select
        long_features.snapshot,
        long_features.user_id,
        sum(
            coefficients.coefficient
            * (long_features.value - coefficients.feature_mean) / coefficients.feature_std
        ) as linear_term
    from long_features
    inner join coefficients
        on long_features.term = coefficients.term
        and coefficients.model = case long_features.snapshot
            when 'evaluate' then 'evaluation' else 'production'
        end
    group by all
),

intercepts as (
    select
        model,
        coefficient as intercept,
        not starts_with(status, 'not_fitted') as is_fitted
    from coefficients
    where term = '(intercept)'
),

logistic as (
    select
        features.snapshot,
        features.user_id,
        features.paid_next,
        case
            when intercepts.is_fitted
                then 1 / (1 + exp(-(intercepts.intercept + coalesce(linear.linear_term, 0))))
        end as score_propensity_model
    from features
    inner join intercepts
        on intercepts.model = case features.snapshot
            when 'evaluate' then 'evaluation' else 'production'
        end
    left join linear
        on features.snapshot = linear.snapshot and features.user_id = linear.user_id
),

final as (
    select
        logistic.snapshot,
        logistic.user_id,
        logistic.paid_next,
        logistic.score_propensity_model,
        coalesce(bgnbd.bgnbd_p_purchase, 0) as score_bgnbd,
        (coalesce(rfm.r_score + rfm.f_score + rfm.m_score, 0) + 0.5) / 16.0 as score_rfm,
        1 / (1 + exp(-(
            {{ logit('logistic.score_propensity_model') }} + {{ logit('coalesce(bgnbd.bgnbd_p_purchase, 0)') }}
        ) / 2)) as score_blend
    from logistic
    left join rfm on logistic.snapshot = rfm.snapshot and logistic.user_id = rfm.user_id
    left join bgnbd on logistic.snapshot = bgnbd.snapshot and logistic.user_id = bgnbd.user_id
)

select * from final
