{#-
    One row: the vars int_clusters_fitted and int_cluster_demographics_suppressed need (a dbt Python model cannot read vars).
-#}
select
    cast({{ var('cluster_k') if var('cluster_k') is not none else 'null' }} as integer) as cluster_k,
    cast({{ var('cluster_k_min') }} as integer) as cluster_k_min,
    cast({{ var('cluster_k_max') }} as integer) as cluster_k_max,
    cast({{ var('cluster_sample_rows') }} as integer) as cluster_sample_rows,
    cast({{ var('cluster_seed') }} as integer) as cluster_seed,
    cast({{ var('k_anonymity') }} as integer) as k_anonymity
