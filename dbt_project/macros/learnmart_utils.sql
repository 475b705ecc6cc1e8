{#- Timestamp text (ISO-8601, with or without offset) to a UTC timestamp; NULL if unparseable. -#}
{% macro parse_utc_ts(expr) -%}
    timezone('UTC', try_cast({{ expr }} as timestamptz))
{%- endmacro %}


{#- The build's wall-clock time: var('built_at') when the CLI sets it, else now (UTC). -#}
{% macro built_at() -%}
    {%- if var('built_at', none) -%}
        timezone('UTC', cast({{ learnmart_quote(var('built_at')) }} as timestamptz))
    {%- else -%}
        timezone('UTC', current_timestamp)
    {%- endif -%}
{%- endmacro %}


{#- Salted SHA-256 of a PII value; the salt comes from $LEARNMART_SALT. -#}
{% macro salted_hash(expr) -%}
    case when {{ expr }} is not null
        then sha256({{ learnmart_quote(learnmart_salt()) }} || {{ expr }})
    end
{%- endmacro %}


{% macro learnmart_salt() -%}
    {{- return(env_var('LEARNMART_SALT', 'learnmart-unsalted-development-only')) -}}
{%- endmacro %}


{#- Text to boolean for flags like marketing_consent: true/false, 1/0, yes/no, y/n, t/f. -#}
{% macro parse_bool(expr) -%}
    case
        when lower({{ expr }}) in ('true', 't', '1', 'yes', 'y') then true
        when lower({{ expr }}) in ('false', 'f', '0', 'no', 'n') then false
    end
{%- endmacro %}
