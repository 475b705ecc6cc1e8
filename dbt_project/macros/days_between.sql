{#- Fractional days from one timestamp to a later one (NULL if either is NULL). -#}
{% macro days_between(start_ts, end_ts) -%}
    (epoch({{ end_ts }}) - epoch({{ start_ts }})) / 86400.0
{%- endmacro %}


{#- The time-decay factor from one timestamp to a later one: 0.5 ^ (days / var('half_life_days')). -#}
{% macro half_life_decay(start_ts, end_ts) -%}
    pow(0.5, {{ days_between(start_ts, end_ts) }} / {{ var('half_life_days', 30) }})
{%- endmacro %}
