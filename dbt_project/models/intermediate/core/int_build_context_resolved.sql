{#-
    One row: the build's as-of time and wall-clock time. as_of is var('as_of') when given;
    under var('eval_split') = 'temporal' it is the latest accepted event minus
    var('eval_holdout_days') (the rest is held out); otherwise the latest accepted event,
    never the wall clock. Everything time-relative in the marts is measured from as_of.

    It also says when building again from the same files would judge differently
    (verdicts_valid_until), and which tables this build made incrementally
    (incremental_tables): `learnmart build` reads both from the published file to plan the
    next build (learnmart.warehouse.plan), so neither rule is written in Python.
-#}
with

events as (
    select event_ts from {{ ref('int_events_accepted') }}
),

campaign_sends as (
    select sent_at, reject_reason from {{ ref('base_raw__campaign_sends') }}
),

-- A send dated after the build's wall clock is rejected as future_timestamp; once the clock
-- passes its sent_at, the same file would be accepted. (Events are judged the same way, but
-- an incremental build keeps their verdicts from the build that first read their file.)
sends_due as (
    select min(sent_at) as first_due_at
    from campaign_sends
    where reject_reason = 'future_timestamp'
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
        -- what an incremental build must share with this one (learnmart.warehouse.inputs.build_fingerprint)
        cast({{ learnmart_quote(build_setting('build_fingerprint', '')) }} as varchar) as build_fingerprint,
        -- the raw files' bytes, the salt and the libraries it was built from, with which a
        -- build of the same fingerprint finds this file up to date (learnmart.warehouse.inputs.inputs_fingerprint)
        cast({{ learnmart_quote(build_setting('inputs_fingerprint', '')) }} as varchar) as inputs_fingerprint,
        -- with no accepted event, as_of is the wall clock itself: no rebuild gives the same file
        case
            when last_event_at is null then {{ built_at() }}
            else sends_due.first_due_at
        end as verdicts_valid_until,
        cast({{ incremental_tables() }} as varchar[]) as incremental_tables
    from bounds
    cross join sends_due
)

select * from final
