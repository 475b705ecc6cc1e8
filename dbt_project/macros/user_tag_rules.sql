{#-
    Seed user_tag_rules: a marketer's tags as rows `tag, description, column_name, op, value`
    (the rows of one tag must all hold). No text of the seed becomes SQL: a column must be
    one of user_features' (its contract) or int_user_behaviour_aggregated's (its yml), an operator one
    of > >= < <= = !=, and a value a number, true/false or text as the column's type asks; the value
    enters the SQL as a typed literal. learnmart_check_tag_rules (on-run-start) reads the
    CSV before any model runs and stops the build with one line per bad rule.
-#}
{#- {column: number | text | boolean} a rule may test; user_features' win over int_user_behaviour_aggregated's. -#}
{% macro user_tag_columns() %}
    {%- set kinds = {} -%}
    {%- for model in ['user_features', 'int_user_behaviour_aggregated'] -%}
        {%- for name, column in graph.nodes['model.learnmart.' ~ model]['columns'].items() -%}
            {%- set type = (column['data_type'] or '') | lower -%}
            {%- if name in kinds or not type -%}
            {%- elif type in ['varchar', 'text', 'string'] -%}
                {%- do kinds.update({name: 'text'}) -%}
            {%- elif type in ['boolean', 'bool'] -%}
                {%- do kinds.update({name: 'boolean'}) -%}
            {%- elif modules.re.match('(tiny|small|big|huge)?int|integer|double|float|real|decimal|numeric', type) -%}
                {%- do kinds.update({name: 'number'}) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(kinds) }}
{% endmacro %}


{#- One line per bad rule of `rules` (dicts of text: line, tag, column_name, op, value). -#}
{% macro user_tag_rule_problems(rules) %}
    {%- set ops = ['>', '>=', '<', '<=', '=', '!='] -%}
    {%- set kinds = user_tag_columns() -%}
    {%- set problems = [] -%}
    {%- for rule in rules -%}
        {%- set where = 'user_tag_rules.csv line ' ~ rule['line'] ~ ' (tag ' ~ '"' ~ (rule['tag'] or '') ~ '"' ~ '): ' -%}
        {%- set column = (rule['column_name'] or '') | trim -%}
        {%- set op = (rule['op'] or '') | trim -%}
        {%- set value = (rule['value'] or '') | trim -%}
        {%- set kind = kinds.get(column) -%}
        {%- if not (rule['tag'] or '') | trim -%}
            {%- do problems.append(where ~ 'no tag name') -%}
        {%- elif kind is none -%}
            {%- do problems.append(where ~ 'unknown column ' ~ '"' ~ column ~ '"' ~ ' (a column of user_features or int_user_behaviour_aggregated)') -%}
        {%- elif op not in ops -%}
            {%- do problems.append(where ~ 'bad operator ' ~ '"' ~ op ~ '"' ~ ' (one of ' ~ ops | join(' ') ~ ')') -%}
        {%- elif kind == 'number' and not modules.re.fullmatch('[-+]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][-+]?[0-9]+)?', value) -%}
            {%- do problems.append(where ~ 'value ' ~ '"' ~ value ~ '"' ~ ' is not a number, and ' ~ column ~ ' is numeric') -%}
        {%- elif kind == 'number' and ((value | float) > 1e308 or (value | float) < -1e308) -%}
            {%- do problems.append(where ~ 'value ' ~ '"' ~ value ~ '"' ~ ' is beyond the range of a number') -%}
        {%- elif kind == 'boolean' and value | lower not in ['true', 'false'] -%}
            {%- do problems.append(where ~ 'value ' ~ '"' ~ value ~ '"' ~ ' is not true or false, and ' ~ column ~ ' is boolean') -%}
        {%- elif kind != 'number' and op not in ['=', '!='] -%}
            {%- do problems.append(where ~ 'operator ' ~ op ~ ' compares numbers, and ' ~ column ~ ' is ' ~ kind) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(problems) }}
{% endmacro %}


{#- The rows of a query on the rules as dicts of text, with their line in the CSV (header = line 1). -#}
{% macro user_tag_rule_rows(sql) %}
    {%- set rows = [] -%}
    {%- for row in run_query(sql).rows -%}
        {%- do rows.append({'line': loop.index + 1, 'tag': row['tag'], 'description': row['description'],
                            'column_name': row['column_name'], 'op': row['op'], 'value': row['value']}) -%}
    {%- endfor -%}
    {{ return(rows) }}
{% endmacro %}


{#- on-run-start: the cluster vars and the seed's CSV, checked before any model runs. -#}
{% macro learnmart_check_profile_settings() %}
    {%- set problems = [] -%}
    {%- for name in ['cluster_k_min', 'cluster_k_max', 'cluster_sample_rows'] -%}
        {%- if not (var(name) is integer and var(name) >= 1) -%}
            {%- do problems.append(name ~ ' must be a whole number of at least 1, got ' ~ var(name) | tojson) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not (var('cluster_k') is none or (var('cluster_k') is integer and var('cluster_k') >= 1)) -%}
        {%- do problems.append('cluster_k must be null or a whole number of at least 1, got ' ~ var('cluster_k') | tojson) -%}
    {%- endif -%}
    {%- if var('cluster_seed') is not integer -%}
        {%- do problems.append('cluster_seed must be a whole number, got ' ~ var('cluster_seed') | tojson) -%}
    {%- endif -%}
    {%- if not problems and var('cluster_k_min') > var('cluster_k_max') -%}
        {%- do problems.append('cluster_k_min (' ~ var('cluster_k_min') ~ ') must not be above cluster_k_max (' ~ var('cluster_k_max') ~ ')') -%}
    {%- endif -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error('invalid vars: ' ~ problems | join('; ')) }}
    {%- endif -%}
    {{ learnmart_check_tag_rules() }}
{% endmacro %}


{#- The seed's CSV (or the CSV at `path`: `dbt run-operation learnmart_check_tag_rules --args
    '{path: ...}'` checks a draft), one line per bad rule. -#}
{% macro learnmart_check_tag_rules(path=none) %}
    {%- if execute and 'seed.learnmart.user_tag_rules' in graph.nodes -%}
        {%- set seed = graph.nodes['seed.learnmart.user_tag_rules'] -%}
        {%- set path = path or seed['root_path'] ~ '/' ~ seed['original_file_path'] -%}
        {%- set rows = user_tag_rule_rows(
            'select * from read_csv(' ~ learnmart_quote(path) ~ ', header = true, all_varchar = true)'
        ) -%}
        {%- set problems = user_tag_rule_problems(rows) -%}
        {%- if problems -%}
            {{ exceptions.raise_compiler_error('bad tag rules in seed user_tag_rules:\n' ~ problems | join('\n')) }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}


{#- The SQL condition of one checked rule: a quoted column, an operator of the list, a typed literal. -#}
{% macro user_tag_condition(rule, kinds) %}
    {%- set ops = ['>', '>=', '<', '<=', '=', '!='] -%}
    {%- set column = rule['column_name'] | trim -%}
    {%- set value = rule['value'] | trim -%}
    {%- set kind = kinds[column] -%}
    {%- set literal = 'cast(' ~ (value | float) ~ ' as double)' if kind == 'number'
        else (value | lower) if kind == 'boolean' else learnmart_quote(value) -%}
    {{ return(adapter.quote(column) ~ ' ' ~ ops[ops.index(rule['op'] | trim)] ~ ' ' ~ literal) }}
{% endmacro %}
