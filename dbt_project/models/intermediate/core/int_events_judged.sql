{#-
    The verdicts of the rules about another entity on the staged events: one row per event
    rejected (unknown_course: a course the courses file does not list, judged only when one
    is given), and one row for the last event of each judged batch, accepted or not: its
    source_row is how far judging has gone. stg_raw__events judged each row by the events
    file's own rules; the catalog is the courses entity's, so it is asked here, after
    staging. int_events_rejected is the rejected rows; int_events_accepted the rest.

    Incremental, like base_raw__events: a build judges every staged event past the last one
    judged (source_row grows with every delivery), against the catalog of that build, and
    the verdict is kept. int_interactions_accumulated folds accepted events in by when they
    were staged, so a verdict that flipped later would leave it behind; `learnmart build
    --full-refresh` judges every event again. Events staged by a build that did not run this
    model (`--select staging`) are judged by the next one that does.
-#}
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}

with

{% if is_incremental() -%}
judged_through as (
    select coalesce(max(source_row), 0) as source_row from {{ this }}
),
{%- endif %}

events as (
    select staged.*
    from {{ ref('stg_raw__events') }} as staged
    {% if is_incremental() -%}
    cross join judged_through
    where staged.source_row > judged_through.source_row
    {%- endif %}
),

courses as (
    select course_id from {{ ref('stg_raw__courses') }}
),

catalog as (
    select count(*) > 0 as has_catalog from courses
),

judged as (
    select
        events.source_file,
        events.source_row,
        events.event_id,
        events.user_id,
        events.course_id,
        events.event_type,
        events.event_ts,
        events.amount,
        events.currency,
        events.rating,
        events.channel,
        events.duration_seconds,
        events.progress,
        case
            when catalog.has_catalog
                and events.course_id is not null
                and events.course_id not in (select course_id from courses)
                then 'unknown_course'
        end as reject_reason,
        events.loaded_at
    from events
    cross join catalog
),

final as (
    select *
    from judged
    where reject_reason is not null
        or source_row = (select max(source_row) from judged)
)

select * from final
