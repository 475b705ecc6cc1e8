{#-
    One row per user x tag: the users each rule of seed user_tag_rules holds for (all rows
    of a tag must hold). The rules are checked again here (macros/user_tag_rules.sql), so a
    rule that would fail stops the build with its line rather than being skipped.
-#}
{%- set kinds = user_tag_columns() if execute else {} -%}
{%- set rules = user_tag_rule_rows('select * from ' ~ ref('user_tag_rules')) if execute else [] -%}
{%- set problems = user_tag_rule_problems(rules) if execute else [] -%}
{%- if problems -%}
    {{ exceptions.raise_compiler_error('bad tag rules in seed user_tag_rules:\n' ~ problems | join('\n')) }}
{%- endif -%}
{%- set tags = [] -%}
{%- for rule in rules if rule['tag'] | trim not in tags -%}
    {%- do tags.append(rule['tag'] | trim) -%}
{%- endfor -%}
{%- set feature_columns = graph.nodes['model.learnmart.user_features']['columns'].keys() | list if execute else [] -%}
with

features as (
    select * from {{ ref('user_features') }}
),

behaviour as (
    select * from {{ ref('int_user_behaviour_aggregated') }}
),

rules as (
    select * from {{ ref('user_tag_rules') }}
),

inputs as (
    select
        features.*
        {%- for column in kinds if column not in feature_columns %},
        behaviour.{{ adapter.quote(column) }}
        {%- endfor %}
    from features
    left join behaviour on features.user_key = behaviour.user_key
),

tagged as (
    {%- for tag in tags %}
    select user_id, {{ learnmart_quote(tag) }} as tag
    from inputs
    where
        {%- for rule in rules if rule['tag'] | trim == tag %}
        {{ 'and ' if not loop.first }}{{ user_tag_condition(rule, kinds) }}
        {%- endfor %}
    {{ 'union all' if not loop.last }}
    {%- else %}
    select cast(null as varchar) as user_id, cast(null as varchar) as tag
    where false
    {%- endfor %}
),

descriptions as (
    select trim(tag) as tag, min(description) as description
    from rules
    group by trim(tag)
),

final as (
    select
        tagged.user_id,
        tagged.tag,
        descriptions.description
    from tagged
    inner join descriptions on tagged.tag = descriptions.tag
)

select * from final
order by user_id, tag
