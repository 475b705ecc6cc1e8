{#- Price band of a price in currency units; bands are vars so they can follow a market. -#}
{% macro price_band(expr) -%}
    {%- set edges = var('price_band_edges', [1, 50, 200, 500]) -%}
    case
        when {{ expr }} is null then null
        when {{ expr }} < {{ edges[0] }} then 'free'
        when {{ expr }} < {{ edges[1] }} then 'low'
        when {{ expr }} < {{ edges[2] }} then 'mid'
        when {{ expr }} < {{ edges[3] }} then 'high'
        else 'premium'
    end
{%- endmacro %}
