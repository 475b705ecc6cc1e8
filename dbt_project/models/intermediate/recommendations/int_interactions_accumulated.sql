{#-
    One row per user x course with any course event in the window: the running totals
    that int_interactions_weighted turns into an affinity at the build's as-of.

    Incremental: a build aggregates only the events staged since the previous build
    (loaded_at) and folds them into the pairs they touch. Every total is mergeable:
      decayed_weight = sum of weight(event) x 0.5 ^ (days(event -> last_event_at) / half_life)
    is anchored at the pair's own last event (exponents never positive, so nothing
    overflows), and two partial sums merge by re-anchoring each to the later last event.
    Late events (older than what was loaded before) fold in the same way: the sum does
    not depend on arrival order. Weights from the seed event_weights, half-life
    var('half_life_days'); a change to either, or to the data folder or as-of, makes
    `learnmart build` rebuild this from scratch (the build fingerprint differs).

    The per-pair sums need no window over each pair's events: every event is decayed to
    one reference (the newest event of the batch), and each pair's sum is re-anchored at
    its own last event after the aggregate (a window partitioned by pair took 40% of this
    model). That is exact while the pair's last event is within 900 half-lives of the
    reference: 2^-900 is a normal double, and a term that underflows is below 2^-120 of
    the last event's. A pair whose last event is older keeps the window formula.
-#}
{%- set max_half_lives = 900 -%}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['user_id', 'course_id'],
    on_schema_change='fail',
) }}

with

events as (
    select * from {{ ref('int_events_windowed') }}
    where course_id is not null
    {% if is_incremental() -%}
        and loaded_at > (select max(last_loaded_at) from {{ this }})
    {%- endif %}
),

weights as (
    select * from {{ ref('event_weights') }}
),

reference as (
    select max(event_ts) as reference_at from events
),

weighted as (
    select
        events.user_id,
        events.course_id,
        events.event_type,
        events.event_ts,
        events.loaded_at,
        weights.weight + weights.weight_per_rating_point * coalesce(events.rating, 0) as weight,
        {{ days_between('events.event_ts', 'reference.reference_at') }}
        / {{ var('half_life_days', 30) }} as half_lives_to_reference
    from events
    inner join weights on events.event_type = weights.event_type
    cross join reference
),

at_reference as (
    select
        user_id,
        course_id,
        sum(weight * pow(0.5, half_lives_to_reference)) as decayed_weight_at_reference,
        min(half_lives_to_reference) as last_half_lives_to_reference,  -- of the last event
        sum(weight) as undecayed_weight,
        count(*) as events,
        min(event_ts) as first_event_at,
        max(event_ts) as last_event_at,
        bool_or(event_type in ('purchase', 'refund', 'complete', 'rating')) as is_taken,
        bool_or(event_type = 'purchase') as has_purchased,
        max(loaded_at) as last_loaded_at
    from weighted
    group by user_id, course_id
),

ancient as (
    -- only events of pairs too old for the reference (none in most data): the window formula
    select
        user_id,
        course_id,
        sum(weight * {{ half_life_decay('event_ts', 'pair_last_event_at') }}) as decayed_weight
    from (
        select
            *,
            max(event_ts) over (partition by user_id, course_id) as pair_last_event_at
        from weighted
        where half_lives_to_reference > {{ max_half_lives }}
    )
    group by user_id, course_id
),

delta as (
    select
        at_reference.user_id,
        at_reference.course_id,
        case
            -- one instant (most pairs: a single event): no decay, exactly the weights' sum
            when at_reference.first_event_at = at_reference.last_event_at
                then at_reference.undecayed_weight
            when at_reference.last_half_lives_to_reference <= {{ max_half_lives }}
                then at_reference.decayed_weight_at_reference
                * pow(2.0, at_reference.last_half_lives_to_reference)
            else ancient.decayed_weight
        end as decayed_weight,
        at_reference.* exclude (
            user_id, course_id, decayed_weight_at_reference, last_half_lives_to_reference
        )
    from at_reference
    left join ancient
        on at_reference.user_id = ancient.user_id and at_reference.course_id = ancient.course_id
),

{% if is_incremental() -%}
joined as (
    select
        delta.*,
        previous.decayed_weight as previous_decayed_weight,
        previous.last_event_at as previous_last_event_at,
        previous.undecayed_weight as previous_undecayed_weight,
        previous.events as previous_events,
        previous.first_event_at as previous_first_event_at,
        previous.is_taken as previous_is_taken,
        previous.has_purchased as previous_has_purchased,
        -- both partial sums are re-anchored at the later of the two last events
        greatest(previous.last_event_at, delta.last_event_at) as anchored_at
    from delta
    left join {{ this }} as previous
        on delta.user_id = previous.user_id and delta.course_id = previous.course_id
),

final as (
    select
        user_id,
        course_id,
        coalesce(
            previous_decayed_weight * {{ half_life_decay('previous_last_event_at', 'anchored_at') }},
            0
        )
        + decayed_weight * {{ half_life_decay('last_event_at', 'anchored_at') }}
            as decayed_weight,
        coalesce(previous_undecayed_weight, 0) + undecayed_weight as undecayed_weight,
        coalesce(previous_events, 0) + events as events,
        least(previous_first_event_at, first_event_at) as first_event_at,
        anchored_at as last_event_at,
        coalesce(previous_is_taken, false) or is_taken as is_taken,
        coalesce(previous_has_purchased, false) or has_purchased as has_purchased,
        last_loaded_at
    from joined
)
{%- else -%}
final as (
    select * from delta
)
{%- endif %}

select * from final
