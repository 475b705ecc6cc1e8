{#-
    The join condition "this playbook (seed campaign_playbooks) targets this user": each of
    target_segments, target_stages, target_categories is '*' or a '|'-separated list that
    must contain the user's value, the propensity must lie in the playbook's band, and
    target_demographics is '*' or ';'-separated clauses attribute=value|value (attributes
    age_band, gender, region, occupation, education; test assert_playbook_demographics_valid)
    that the user's values, from the relation `users`, must all meet. A user without the
    attribute meets no clause on it. One definition, used by user_profiles (next action) and
    int_campaign_users_targeted (audiences).
-#}
{% macro playbook_matches(playbooks, segment, stage, propensity, category, users) -%}
    ({{ playbooks }}.target_segments = '*'
        or list_contains(string_split({{ playbooks }}.target_segments, '|'), {{ segment }}))
    and ({{ playbooks }}.target_stages = '*'
        or list_contains(string_split({{ playbooks }}.target_stages, '|'), {{ stage }}))
    and coalesce({{ propensity }}, 0) between {{ playbooks }}.min_propensity and {{ playbooks }}.max_propensity
    and ({{ playbooks }}.target_categories = '*'
        or list_contains(string_split({{ playbooks }}.target_categories, '|'), {{ category }}))
    and {{ demographics_match(playbooks ~ '.target_demographics', users) }}
{%- endmacro %}

{% macro demographics_match(target, users) -%}
    (trim(coalesce({{ target }}, '*')) = '*'
        or list_bool_and(list_transform(string_split({{ target }}, ';'), lambda clause: coalesce(list_contains(
            regexp_split_to_array(trim(split_part(clause, '=', 2)), '\s*\|\s*'),
            case trim(split_part(clause, '=', 1))
                {%- for attribute in demographic_attributes() %}
                when '{{ attribute }}' then {{ users }}.{{ attribute }}
                {%- endfor %}
            end
        ), false))))
{%- endmacro %}

{#- The generalized demographics a users file may carry (docs/raw_contract.md). -#}
{% macro demographic_attributes() -%}
    {{ return(['age_band', 'gender', 'region', 'occupation', 'education']) }}
{%- endmacro %}
