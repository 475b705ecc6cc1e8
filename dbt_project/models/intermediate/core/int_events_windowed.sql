{#-
    One row per accepted event at or before the build's as-of time. Events after an
    explicit --as-of are valid (they stay in int_events_accepted) but outside this window.
    Under var('eval_split') = 'user_random', events of held-out (user, course) pairs are
    left out too: the models train without them and the evaluation scores against them.
    A view: its readers scan the staged events with the window filter pushed down.
-#}
{{ config(materialized='view') }}

with

events as (
    select * from {{ ref('int_events_accepted') }}
),

context as (
    select as_of from {{ ref('int_build_context_resolved') }}
),

{% if var('eval_split', none) == 'user_random' -%}
held_out as (
    select user_id, course_id from {{ ref('int_eval_pairs_split') }}
    where is_held_out
),
{%- endif %}

final as (
    select events.*
    from events
    cross join context
    {% if var('eval_split', none) == 'user_random' -%}
    left join held_out
        on events.user_id = held_out.user_id and events.course_id = held_out.course_id
    {%- endif %}
    where events.event_ts <= context.as_of
    {% if var('eval_split', none) == 'user_random' -%}
        and held_out.user_id is null
    {%- endif %}
)

select * from final
