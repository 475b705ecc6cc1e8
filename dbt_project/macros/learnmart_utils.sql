{#-
    A setting that changes from one build to the next: data_dir, built_at, build_fingerprint,
    inputs_fingerprint. `learnmart build` passes them as $LEARNMART_DATA_DIR,
    $LEARNMART_BUILT_AT, $LEARNMART_BUILD_FINGERPRINT and $LEARNMART_INPUTS_FINGERPRINT, read
    only when the models run (execute): dbt's parse cache is keyed on --vars, so passing them
    as vars made every build parse the project from scratch. Without the
    variable (dbt run directly), var(name) as usual.
-#}
{% macro build_setting(name, default=none) -%}
    {%- set from_env = env_var('LEARNMART_' ~ name | upper, '') if execute else '' -%}
    {{- return(from_env or var(name, default)) -}}
{%- endmacro %}


{#-
    The build's wall-clock time: build_setting('built_at') when the CLI sets it, else when
    this dbt invocation started (UTC): one value for every model of a build.
-#}
{% macro built_at() -%}
    {%- if build_setting('built_at') -%}
        timezone('UTC', cast({{ learnmart_quote(build_setting('built_at')) }} as timestamptz))
    {%- elif run_started_at is not none -%}
        timezone('UTC', cast({{ learnmart_quote(run_started_at.isoformat()) }} as timestamptz))
    {%- else -%}
        timezone('UTC', current_timestamp)
    {%- endif -%}
{%- endmacro %}


{#-
    Keyed hash (HMAC-SHA256) of a PII value. The key, $LEARNMART_SALT, is read by the UDF
    pii_hash (udfs/registry.py) and never by Jinja: dbt writes the env vars its templates
    read into its manifest and parse cache, and rendered SQL would hold it too.
-#}
{% macro salted_hash(expr) -%}
    pii_hash({{ expr }})
{%- endmacro %}


{#- Text to boolean for flags like marketing_consent: true/false, 1/0, yes/no, y/n, t/f. -#}
{% macro parse_bool(expr) -%}
    case
        when lower({{ expr }}) in ('true', 't', '1', 'yes', 'y') then true
        when lower({{ expr }}) in ('false', 'f', '0', 'no', 'n') then false
    end
{%- endmacro %}


{#- log(p / (1 - p)) of a probability clipped to [1e-6, 1 - 1e-6] (as learnmart.udfs.propensity.logit). -#}
{% macro logit(expr) -%}
    ln(least(greatest({{ expr }}, 1e-6), 1 - 1e-6) / (1 - least(greatest({{ expr }}, 1e-6), 1 - 1e-6)))
{%- endmacro %}


{#-
    The models this project materializes incrementally, as a list literal of 'schema.name'
    (dbt's graph; empty while parsing, and in a unit test, which has no graph). Their config is the one place that says which they
    are: `learnmart build` carries these tables over into an incremental build.
-#}
{% macro incremental_tables() -%}
    {%- set names = [] -%}
    {%- if execute -%}
        {%- for node in (graph.get('nodes') or {}).values()
            if node.resource_type == 'model' and node.config.materialized == 'incremental' -%}
            {%- do names.append(node.schema ~ '.' ~ node.name) -%}
        {%- endfor -%}
    {%- endif -%}
    [{% for name in names | sort %}{{ learnmart_quote(name) }}{{ ", " if not loop.last }}{% endfor %}]
{%- endmacro %}
