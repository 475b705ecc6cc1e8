{#- A deterministic number in [0, 1) from text: the first 32 bits of its MD5. -#}
{% macro hash_fraction(expr) -%}
    (cast(('0x' || left(md5({{ expr }}), 8)) as ubigint) / 4294967296.0)
{%- endmacro %}
