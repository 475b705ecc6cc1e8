{#-
    One row per user: the five demographic attributes as they may be shown, each value held
    by fewer than var('k_anonymity') users folded into '(other)', with the smallest shown
    values added until '(other)' itself holds k users, so that no breakdown by one attribute
    (demographic_summary, or a BI tool grouping user_profiles) counts fewer than k users and
    no small value can be worked out by subtraction. A missing value is '(not given)', under
    the same rule.
-#}
{%- set attributes = demographic_attributes() %}
with

users as (
    select user_key, {{ attributes | join(', ') }} from {{ ref('int_users_keyed') }}
),

unpivoted as (
    select *
    from users
    unpivot include nulls (value for attribute in ({{ attributes | join(', ') }}))
),

values_given as (
    -- one row per user x attribute
    select
        user_key,
        attribute,
        coalesce(value, '(not given)') as value
    from unpivoted
),

cells as (
    select attribute, value, count(*) as users
    from values_given
    group by all
),

ranked as (
    -- smallest first, the order in which values are folded
    select
        *,
        coalesce(sum(users) filter (where users < {{ var('k_anonymity') }}) over (partition by attribute), 0)
            as small_users,
        coalesce(sum(users) over (
            partition by attribute order by users, value rows between unbounded preceding and 1 preceding
        ), 0) as users_before
    from cells
),

labelled as (
    -- a value of k or more users is folded too while the values before it (the small ones
    -- first) hold fewer than k, so '(other)' reaches k with as few values as it can
    select
        attribute,
        value,
        case
            when users < {{ var('k_anonymity') }} then '(other)'
            when small_users > 0 and users_before < {{ var('k_anonymity') }} then '(other)'
            else value
        end as shown_value
    from ranked
),

generalized as (
    select values_given.user_key, values_given.attribute, labelled.shown_value
    from values_given
    inner join labelled
        on values_given.attribute = labelled.attribute and values_given.value = labelled.value
),

final as (
    select
        user_key,
        {%- for attribute in attributes %}
        max(shown_value) filter (where attribute = '{{ attribute }}') as {{ attribute }}{{ "," if not loop.last }}
        {%- endfor %}
    from generalized
    group by user_key
)

select * from final
