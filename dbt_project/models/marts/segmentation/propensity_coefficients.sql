{#- One row per model x term of the logistic purchase-propensity models, with each fit's status. -#}
select * from {{ ref('int_propensity_models_fitted') }}
