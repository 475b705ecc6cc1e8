{#-
    One row per ranker (model, popularity, oracle) for the split this build was made for
    (var eval_split; no rows in a normal build): top-k accuracy on held-out courses.
    Per user with at least one relevant held-out course, then averaged over those users:
        precision@k = hits / k                recall@k = hits / relevant
        ndcg@k      = sum over hits of 1 / log2(rank + 1), over the same for an ideal list
        map@k       = sum over hits of precision@rank, / relevant
        hit_rate    = share of users with at least one hit
    catalog_coverage = distinct courses recommended to these users / courses available.
-#}
{%- set k = var('rec_k') | int %}
with

relevant as (
    select * from {{ ref('int_eval_relevant_courses_selected') }}
),

held_out as (
    select * from {{ ref('int_eval_courses_withheld') }}
),

rankings as (
    select * from {{ ref('int_eval_rankings_unioned') }}
),

context as (
    select as_of, eval_split from {{ ref('int_build_context_resolved') }}
),

catalog as (
    select count(*) as courses from {{ ref('int_courses_keyed') }}
),

relevant_counts as (
    select user_id, count(*) as relevant from relevant group by user_id
),

rankers as (
    select distinct ranker from rankings
),

hits as (
    select
        rankings.ranker,
        rankings.user_id,
        rankings.rank,
        row_number() over (partition by rankings.ranker, rankings.user_id order by rankings.rank) as hit_number
    from rankings
    inner join relevant on rankings.user_id = relevant.user_id and rankings.course_id = relevant.course_id
),

per_user as (
    select
        rankers.ranker,
        relevant_counts.user_id,
        relevant_counts.relevant,
        count(hits.rank) as hits,
        coalesce(sum(1.0 / log2(hits.rank + 1)), 0) as dcg,
        coalesce(sum(hits.hit_number / hits.rank), 0) as sum_precision_at_hits
    from rankers
    cross join relevant_counts
    left join hits on rankers.ranker = hits.ranker and relevant_counts.user_id = hits.user_id
    group by all
),

ideal as (
    select
        user_id,
        (select sum(1.0 / log2(i + 1)) from range(1, least(relevant, {{ k }}) + 1) as t(i)) as idcg
    from relevant_counts
),

coverage as (
    select ranker, count(distinct course_id) as courses_recommended
    from rankings
    group by ranker
),

exclusions as (
    select string_agg(exclusion || ' (' || pairs || ')', ', ' order by pairs desc) as reasons
    from (select exclusion, count(*) as pairs from held_out where exclusion is not null group by exclusion)
),

status as (
    select
        case
            when (select count(*) from held_out) = 0 then 'not judged: the held-out part has no relevant course'
            when (select count(*) from relevant) = 0
                then 'not judged: no held-out relevant course can be judged: ' || exclusions.reasons
            when exclusions.reasons is not null then 'judged; not judged: ' || exclusions.reasons
            else 'judged'
        end as status
    from exclusions
),

judged as (
    select
        context.eval_split as split,
        per_user.ranker,
        {{ k }} as k,
        count(*) as users,
        avg(per_user.hits / {{ k }}) as precision_at_k,
        avg(per_user.hits / per_user.relevant) as recall_at_k,
        avg(per_user.dcg / ideal.idcg) as ndcg_at_k,
        avg(per_user.sum_precision_at_hits / per_user.relevant) as map_at_k,
        avg(cast(per_user.hits > 0 as double)) as hit_rate,
        any_value(coverage.courses_recommended) / any_value(catalog.courses) as catalog_coverage,
        any_value(context.as_of) as trained_as_of
    from per_user
    inner join ideal on per_user.user_id = ideal.user_id
    left join coverage on per_user.ranker = coverage.ranker
    cross join context
    cross join catalog
    group by context.eval_split, per_user.ranker
),

unjudged as (
    -- a split that cannot be judged still says so, one row per ranker
    select
        context.eval_split as split,
        rankers.ranker,
        {{ k }} as k,
        cast(0 as bigint) as users,
        {%- for metric in ['precision_at_k', 'recall_at_k', 'ndcg_at_k', 'map_at_k', 'hit_rate', 'catalog_coverage'] %}
        cast(null as double) as {{ metric }},
        {%- endfor %}
        context.as_of as trained_as_of
    from (values ('model'), ('popularity'), ('sar')) as rankers (ranker)
    cross join context
    where context.eval_split != 'none' and (select count(*) from relevant) = 0
),

final as (
    select rows.*, status.status
    from (select * from judged union all select * from unjudged) as rows
    cross join status
)

select * from final
