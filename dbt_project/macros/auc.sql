{#-
    ROC AUC of `score` for boolean `label` over `relation`, grouped by `group_by` columns:
    the Mann-Whitney statistic with tied scores given their average rank (ties count half).
    Returns a query with the group columns, users, positives and auc.
-#}
{% macro auc_query(relation, score, label, group_by) -%}
    select
        {{ group_by | join(', ') }},
        count(*) as users,
        count(*) filter (where {{ label }}) as positives,
        (
            sum(avg_rank) filter (where {{ label }})
            - count(*) filter (where {{ label }}) * (count(*) filter (where {{ label }}) + 1) / 2.0
        ) / nullif(
            count(*) filter (where {{ label }}) * count(*) filter (where not {{ label }}), 0
        ) as auc
    from (
        select
            *,
            rank() over (partition by {{ group_by | join(', ') }} order by {{ score }})
            + (count(*) over (partition by {{ group_by | join(', ') }}, {{ score }}) - 1) / 2.0
                as avg_rank
        from {{ relation }}
    ) as ranked
    group by {{ group_by | join(', ') }}
{%- endmacro %}
