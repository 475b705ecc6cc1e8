{#-
    One row per R x F x M cell (each score 1..5): how many rules of the seed
    rfm_segment_rules cover it. Tested to be exactly 1 everywhere: no gap, no overlap.
-#}
with

rules as (
    select * from {{ ref('rfm_segment_rules') }}
),

scores as (
    select cast(s as integer) as score from range(1, 6) as t(s)
),

cells as (
    select r.score as r_score, f.score as f_score, m.score as m_score
    from scores as r
    cross join scores as f
    cross join scores as m
),

final as (
    select
        cells.r_score,
        cells.f_score,
        cells.m_score,
        count(rules.rfm_segment) as matching_rules,
        string_agg(rules.rfm_segment, ', ' order by rules.rfm_segment) as segments
    from cells
    left join rules
        on cells.r_score between rules.r_min and rules.r_max
        and cells.f_score between rules.f_min and rules.f_max
        and cells.m_score between rules.m_min and rules.m_max
    group by all
)

select * from final
