{#- Fractional days from one timestamp to a later one (NULL if either is NULL). -#}
{% macro days_between(start_ts, end_ts) -%}
    (epoch({{ end_ts }}) - epoch({{ start_ts }})) / 86400.0
{%- endmacro %}
