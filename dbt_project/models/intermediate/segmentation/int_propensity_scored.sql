{#-
    One row per user x snapshot (evaluate, current): purchase propensity from the fitted
    logistic models. The evaluation model (fitted at as_of - 2N) scores the evaluate
    snapshot, which it never saw; the production model scores the current one.
    Computed in plain SQL from propensity_coefficients, so any engine can reproduce it.
-#}
with

features as (
    select * from {{ ref('int_propensity_features') }}
    where snapshot in ('evaluate', 'current')
),

coefficients as (
    select * from {{ ref('propensity_coefficients') }}
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
    select model, coefficient as intercept
    from coefficients
    where term = '(intercept)'
),

final as (
    select
        features.snapshot,
        features.user_id,
        features.paid_next,
        1 / (1 + exp(-(intercepts.intercept + coalesce(linear.linear_term, 0))))
            as purchase_propensity
    from features
    inner join intercepts
        on intercepts.model = case features.snapshot
            when 'evaluate' then 'evaluation' else 'production'
        end
    left join linear
        on features.snapshot = linear.snapshot and features.user_id = linear.user_id
)

select * from final
