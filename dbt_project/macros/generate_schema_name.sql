{#-
    Schemas are used as given (staging, intermediate, seeds, main), not prefixed with the
    target schema: the marts BI tools read sit in `main`, reachable by bare name.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
