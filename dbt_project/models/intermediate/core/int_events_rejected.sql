{#-
    One row per staged event rejected by a rule about another entity: unknown_course, a
    course the courses file does not list (judged only when a courses file is given).
    stg_raw__events judged each row by the events file's own rules; the catalog is the
    courses entity's, so it is asked here, after staging. int_events_accepted is the rest.

    Incremental, like base_raw__events: an event is judged against the catalog of the build
    that staged it, and the verdict is kept. int_interactions_accumulated folds accepted
    events in by when they were staged, so a verdict that flipped later would leave it
    behind; `learnmart build --full-refresh` judges every event again.
-#}
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}

with

events as (
    select * from {{ ref('stg_raw__events') }}
    {% if is_incremental() -%}
    -- the events this build staged (base_raw__events stamps them with its built_at)
    where loaded_at = {{ built_at() }}
    {%- endif %}
),

courses as (
    select course_id from {{ ref('stg_raw__courses') }}
),

catalog as (
    select count(*) > 0 as has_catalog from courses
),

final as (
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
        'unknown_course' as reject_reason,
        events.loaded_at
    from events
    cross join catalog
    where catalog.has_catalog
        and events.course_id is not null
        and events.course_id not in (select course_id from courses)
)

select * from final
