{#-
    Stops a build before any model runs when a var has the wrong type or is out of range,
    naming each such var, its value and what it must be (on-run-start in dbt_project.yml).
    Without it, half_life_days: 0 divides by zero in the decay and rec_k: 0 fails deep in
    the scoring kernel; a string where a number belongs fails as a SQL error in one model.
-#}
{% macro learnmart_check_vars() %}
    {%- set problems = [] -%}
    {%- set whole_numbers = [
        ('pair_max_courses_per_user', 1), ('pair_min_support', 1), ('rec_neighbors', 1),
        ('rec_history_courses', 1), ('rec_k', 1), ('rec_dense_max_courses', 1), ('ease_max_courses', 0),
        ('rec_sparse_neighbors', 1),
        ('content_neighbors', 1), ('propensity_horizon_days', 1), ('lifecycle_new_days', 1),
        ('rec_selection_users', 1),
        ('lifecycle_active_days', 1), ('lifecycle_at_risk_days', 1), ('lifecycle_dormant_days', 1),
        ('membership_active_days', 1), ('campaign_window_days', 1), ('eval_holdout_days', 1),
        ('propensity_min_positives', 1), ('propensity_max_window_shift', 0),
        ('session_gap_minutes', 1), ('k_anonymity', 2),
    ] -%}
    {%- for name, least in whole_numbers -%}
        {%- set value = var(name) -%}
        {%- if not (value is integer and value >= least) -%}
            {%- do problems.append(name ~ ' must be a whole number of at least ' ~ least ~ ', got ' ~ value | tojson) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set numbers = [
        ('half_life_days', 'above', 0), ('propensity_l2', 'above', 0), ('ease_l2', 'above', 0),
        ('rp3beta_beta', 'at least', 0), ('rec_weight_cf', 'at least', 0),
        ('rec_weight_content', 'at least', 0), ('rec_weight_popularity', 'at least', 0),
    ] -%}
    {%- set optional_numbers = ['ease_l2', 'rec_weight_content', 'rec_weight_popularity'] -%}
    {%- for name, rule, bound in numbers -%}
        {%- set value = var(name) -%}
        {%- set is_number = value is integer or value is float -%}
        {%- set optional = name in optional_numbers and value is none -%}
        {%- if not optional and not (is_number and (value > bound if rule == 'above' else value >= bound)) -%}
            {%- do problems.append(name ~ ' must be a number ' ~ rule ~ ' ' ~ bound ~ ', got ' ~ value | tojson) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set share = var('eval_test_share') -%}
    {%- if not ((share is integer or share is float) and 0 < share < 1) -%}
        {%- do problems.append('eval_test_share must be a number between 0 and 1, got ' ~ share | tojson) -%}
    {%- endif -%}
    {%- set stages = ['lifecycle_active_days', 'lifecycle_at_risk_days', 'lifecycle_dormant_days'] -%}
    {%- for shorter, longer in [(stages[0], stages[1]), (stages[1], stages[2])] -%}
        {%- if var(shorter) is integer and var(longer) is integer and var(shorter) > var(longer) -%}
            {%- do problems.append(longer ~ ' (' ~ var(longer) ~ ') must not be below ' ~ shorter ~ ' (' ~ var(shorter) ~ ')') -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set choices = [
        ('eval_split', [none, 'temporal', 'user_random']),
        ('eval_relevance', ['positive', 'any']),
        ('rec_similarity', ['auto', 'cosine', 'jaccard', 'lift', 'rp3beta', 'ease']),
        ('rec_fill', ['segment', 'popularity']),
    ] -%}
    {%- for name, allowed in choices -%}
        {%- if var(name, none) not in allowed -%}
            {%- do problems.append(name ~ ' must be one of ' ~ allowed | map('tojson') | join(', ') ~ ', got ' ~ var(name, none) | tojson) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set zone = var('local_timezone') -%}
    {%- if zone is not string -%}
        {%- do problems.append('local_timezone must be a time zone name such as Asia/Shanghai, got ' ~ zone | tojson) -%}
    {%- elif execute and zone != 'UTC' -%}
        {%- set known = run_query('select count(*) from pg_timezone_names() where name = ' ~ learnmart_quote(zone)) -%}
        {%- if known.columns[0].values()[0] == 0 -%}
            {%- do problems.append('local_timezone ' ~ zone | tojson ~ ' is not a time zone name (e.g. Asia/Shanghai, UTC)') -%}
        {%- endif -%}
    {%- endif -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error('invalid vars: ' ~ problems | join('; ')) }}
    {%- endif -%}
{% endmacro %}


{#- The hour of day of `ts` (a UTC timestamp) on the platform's clock, var local_timezone. -#}
{% macro local_hour(ts) -%}
    {%- if var('local_timezone') == 'UTC' -%}
        hour({{ ts }})
    {%- else -%}
        hour(timezone({{ learnmart_quote(var('local_timezone')) }}, timezone('UTC', {{ ts }})))
    {%- endif -%}
{%- endmacro %}
