{#-
    One row: the build's as-of time (var('as_of'), else the latest accepted event) and
    wall-clock time. Everything time-relative in the marts is measured from as_of.
-#}
with

events as (
    select event_ts from {{ ref('stg_raw__events') }}
),

bounds as (
    select
        min(event_ts) as first_event_at,
        max(event_ts) as last_event_at
    from events
),

final as (
    select
        {% if var('as_of', none) -%}
        timezone('UTC', cast({{ learnmart_quote(var('as_of')) }} as timestamptz))
        {%- else -%}
        coalesce(last_event_at, {{ built_at() }})
        {%- endif %} as as_of,
        {{ built_at() }} as built_at,
        first_event_at,
        last_event_at
    from bounds
)

select * from final
