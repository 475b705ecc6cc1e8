-- Every clause of a playbook's target_demographics (seed campaign_playbooks) is
-- attribute=value|value with a known attribute: a typo would otherwise match nobody and
-- the campaign would go out empty without a word. One failing row per bad clause.
with

clauses as (
    select
        campaign,
        unnest(string_split(target_demographics, ';')) as clause
    from {{ ref('campaign_playbooks') }}
    where trim(coalesce(target_demographics, '*')) != '*'
)

select
    campaign,
    clause,
    'expected attribute=value|value with attribute one of '
        || '{{ demographic_attributes() | join(", ") }}' as problem
from clauses
where
    clause not like '%=%'
    or trim(split_part(clause, '=', 1))
    not in (
        {%- for attribute in demographic_attributes() %}
        '{{ attribute }}'{{ "," if not loop.last }}
        {%- endfor %}
    )
    or trim(split_part(clause, '=', 2)) = ''
