{#-
    One row: the build's as-of time and wall-clock time. as_of is var('as_of') when given;
    under var('eval_split') = 'temporal' it is the latest accepted event minus
    var('eval_holdout_days') (the rest is held out); otherwise the latest accepted event,
    never the wall clock. Everything time-relative in the marts is measured from as_of.
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
        {%- elif var('eval_split', none) == 'temporal' -%}
        last_event_at - interval {{ var('eval_holdout_days') | int }} day
        {%- else -%}
        coalesce(last_event_at, {{ built_at() }})
        {%- endif %} as as_of,
        {{ built_at() }} as built_at,
        first_event_at,
        last_event_at,
        cast({{ learnmart_quote(var('eval_split', none) or 'none') }} as varchar) as eval_split,
        -- what an incremental build must share with this one (learnmart.cli.build.build_fingerprint)
        cast({{ learnmart_quote(build_setting('build_fingerprint', '')) }} as varchar) as build_fingerprint,
        -- the raw files' bytes, the salt and the libraries it was built from, with which a
        -- build of the same fingerprint finds this file up to date (learnmart.cli.build.inputs_fingerprint)
        cast({{ learnmart_quote(build_setting('inputs_fingerprint', '')) }} as varchar) as inputs_fingerprint
    from bounds
)

select * from final
