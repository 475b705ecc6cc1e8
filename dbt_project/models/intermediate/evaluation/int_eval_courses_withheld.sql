{#-
    One row per relevant (user, course) held out from training, with why it is not judged
    (`exclusion`; NULL for the pairs int_eval_relevant_courses_selected keeps):
      temporal     events in (as_of, as_of + eval_holdout_days] of users seen in training
      user_random  the held-out pairs of int_eval_pairs_split
    Relevance var('eval_relevance'): positive = a purchase, completion or rating >= 4;
    any = any course event. Not judged: users not seen in training, courses the user had
    already taken in training (no ranker may recommend them) and courses not published at
    the cut (for the temporal split: no ranker could have recommended them then). Empty
    unless var('eval_split') is set.
-#}
{%- set split = var('eval_split', none) %}
with

events as (
    select * from {{ ref('int_events_accepted') }}
    where course_id is not null
),

context as (
    select as_of from {{ ref('int_build_context_resolved') }}
),

available as (
    select courses.course_id
    from {{ ref('int_recommendation_courses_prepared') }} as recommendable
    inner join {{ ref('int_courses_keyed') }} as courses on recommendable.course_key = courses.course_key
    where recommendable.is_available
),

train_users as (
    select distinct user_id from {{ ref('int_events_windowed') }}
),

taken as (
    select user_id, course_id from {{ ref('int_interactions_weighted') }}
    where is_taken
),

held_out_pairs as (
    select user_id, course_id from {{ ref('int_eval_pairs_split') }}
    where is_held_out
),

test_events as (
    {% if split == 'temporal' -%}
    select events.*
    from events
    cross join context
    where events.event_ts > context.as_of
        and events.event_ts <= context.as_of + interval {{ var('eval_holdout_days') | int }} day
    {%- elif split == 'user_random' -%}
    select events.*
    from events
    inner join held_out_pairs
        on events.user_id = held_out_pairs.user_id and events.course_id = held_out_pairs.course_id
    cross join context
    where events.event_ts <= context.as_of
    {%- else -%}
    select * from events where false
    {%- endif %}
),

relevant as (
    select distinct user_id, course_id
    from test_events
    where
        {% if var('eval_relevance') == 'any' -%}
        true
        {%- else -%}
        event_type in ('purchase', 'complete') or (event_type = 'rating' and rating >= 4)
        {%- endif %}
),

final as (
    select
        relevant.user_id,
        relevant.course_id,
        case
            when train_users.user_id is null then 'user not seen in training'
            when available.course_id is null then 'course not published at the cut'
            when taken.user_id is not null then 'course already taken in training'
        end as exclusion
    from relevant
    left join train_users on relevant.user_id = train_users.user_id
    left join available on relevant.course_id = available.course_id
    left join taken on relevant.user_id = taken.user_id and relevant.course_id = taken.course_id
)

select * from final
