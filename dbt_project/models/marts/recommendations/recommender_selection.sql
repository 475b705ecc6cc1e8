{#- One row per candidate recommender the build compared, with its holdout figures and the one chosen. -#}
select * from {{ ref('int_recommenders_compared') }}
