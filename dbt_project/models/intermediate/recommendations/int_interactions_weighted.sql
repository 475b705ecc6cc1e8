{#-
    One row per user x course with any course event in the window:
        affinity = sum over the pair's events of weight(event) * 0.5 ^ (age_days / half_life)
    with weights from the seed event_weights (view < trial < favorite < complete < purchase;
    rating events weigh weight + rating x weight_per_rating_point; refunds are negative), the
    half-life var('half_life_days') (default 30) and age measured from the build's as-of.
    The sums come from int_interactions_accumulated (incremental), anchored at each pair's
    last event; here they are decayed the rest of the way to as-of and keyed.
    `is_taken`: the user bought, refunded, completed or rated the course (never recommend it).
-#}
with

accumulated as (
    select * from {{ ref('int_interactions_accumulated') }}
),

context as (
    select as_of from {{ ref('int_build_context_resolved') }}
),

users as (
    select user_key, user_id from {{ ref('int_users_keyed') }}
),

courses as (
    select course_key, course_id from {{ ref('int_courses_keyed') }}
),

final as (
    select
        users.user_key,
        courses.course_key,
        accumulated.user_id,
        accumulated.course_id,
        accumulated.decayed_weight * {{ half_life_decay('accumulated.last_event_at', 'context.as_of') }} as affinity,
        accumulated.undecayed_weight,
        accumulated.events,
        accumulated.first_event_at,
        accumulated.last_event_at,
        accumulated.is_taken,
        accumulated.has_purchased
    from accumulated
    cross join context
    inner join users on accumulated.user_id = users.user_id
    inner join courses on accumulated.course_id = courses.course_id
)

select * from final
