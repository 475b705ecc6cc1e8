{#- Generic tests (no dbt packages: builds have no network to the hub). -#}

{% test unique_combination(model, columns) %}
select {{ columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1
{% endtest %}


{% test value_between(model, column_name, min_value, max_value) %}
select *
from {{ model }}
where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}


{% test expression_is_true(model, expression) %}
select * from {{ model }} where not ({{ expression }})
{% endtest %}


{#- Ranks within each partition run 1, 2, ..., n with no gap (with unique ranks, min 1 and
    max = count make them contiguous): `rank <= k` then returns the top k rows, which is
    how the CLI looks them up (one scan instead of a top-k plan over the row group). -#}
{% test ranks_from_one(model, column_name, partition_by) %}
select {{ partition_by }}, min({{ column_name }}) as first_rank, max({{ column_name }}) as last_rank, count(*) as ranked
from {{ model }}
group by {{ partition_by }}
having min({{ column_name }}) != 1 or max({{ column_name }}) != count(*)
{% endtest %}
