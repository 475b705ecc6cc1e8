{#- Past-tense verb for an event type, for recommendation reasons ("because you completed X"). -#}
{% macro event_verb(expr) -%}
    case {{ expr }}
        when 'purchase' then 'bought'
        when 'complete' then 'completed'
        when 'rating' then 'rated'
        when 'favorite' then 'saved'
        when 'share' then 'shared'
        when 'trial' then 'tried'
        else 'viewed'
    end
{%- endmacro %}
