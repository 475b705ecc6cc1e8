{#-
    One row: the vars the dbt Python models need (Python models cannot read vars
    directly), and a record of what this build was tuned with.
-#}
select
    cast({{ var('propensity_horizon_days') }} as integer) as propensity_horizon_days,
    cast({{ var('propensity_l2') }} as double) as propensity_l2,
    cast({{ var('propensity_min_positives') }} as integer) as propensity_min_positives,
    cast({{ var('ease_l2') if var('ease_l2') is not none else 'null' }} as double) as ease_l2,
    cast({{ var('ease_max_courses') }} as integer) as ease_max_courses,
    cast({{ var('rec_neighbors') }} as integer) as rec_neighbors,
    cast({{ learnmart_quote(var('rec_similarity')) }} as varchar) as rec_similarity,
    cast({{ var('rec_k') }} as integer) as rec_k,
    cast({{ var('rec_weight_cf') }} as double) as rec_weight_cf,
    cast({{ learnmart_quote(var('rec_fill')) }} as varchar) as rec_fill,
    cast({{ var('rec_weight_content') if var('rec_weight_content') is not none else 'null' }} as double)
        as rec_weight_content,
    cast({{ var('rec_weight_popularity') if var('rec_weight_popularity') is not none else 'null' }} as double)
        as rec_weight_popularity,
    cast({{ var('rec_selection_users') }} as integer) as rec_selection_users,
    cast({{ var('rp3beta_beta') }} as double) as rp3beta_beta,
    cast({{ var('eval_seed') }} as integer) as eval_seed,
    cast({{ var('rec_dense_max_courses') }} as integer) as rec_dense_max_courses,
    cast({{ var('rec_sparse_neighbors') }} as integer) as rec_sparse_neighbors,
    cast({{ var('content_neighbors') }} as integer) as content_neighbors,
    cast({{ var('half_life_days') }} as double) as half_life_days,
    cast({{ learnmart_quote(build_setting('data_dir')) }} as varchar) as data_dir,
    -- false: PII hashes and audience keys use the development salt; exports refuse to run
    pii_salt_configured() as salt_configured
