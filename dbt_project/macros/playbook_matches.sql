{#-
    The join condition "this playbook (seed campaign_playbooks) targets this user": each of
    target_segments, target_stages, target_categories is '*' or a '|'-separated list that
    must contain the user's value, and the propensity must lie in the playbook's band.
    One definition, used by user_profiles (next action) and int_campaign_users_targeted (audiences).
-#}
{% macro playbook_matches(playbooks, segment, stage, propensity, category) -%}
    ({{ playbooks }}.target_segments = '*'
        or list_contains(string_split({{ playbooks }}.target_segments, '|'), {{ segment }}))
    and ({{ playbooks }}.target_stages = '*'
        or list_contains(string_split({{ playbooks }}.target_stages, '|'), {{ stage }}))
    and coalesce({{ propensity }}, 0) between {{ playbooks }}.min_propensity and {{ playbooks }}.max_propensity
    and ({{ playbooks }}.target_categories = '*'
        or list_contains(string_split({{ playbooks }}.target_categories, '|'), {{ category }}))
{%- endmacro %}
