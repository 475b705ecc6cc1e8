-- Every reason tells the truth about the user's history, recomputed here from the staged
-- events: the named course is one the user engaged with and did not refund, and the verb
-- is the user's strongest current relation to it (completed > rated > bought > tried >
-- saved > shared > viewed).
with

recommendations as (
    select
        user_id,
        course_id,
        reason,
        reason_course_id,
        case
            when reason like 'because you %' then split_part(reason, ' ', 3)
            when reason like 'similar to %, which you %' then reverse(split_part(reverse(reason), ' ', 1))
        end as verb
    from {{ ref('user_recommendations') }}
    where reason_course_id is not null
),

context as (
    select as_of from {{ ref('int_build_context_resolved') }}
),

reason_pairs as (
    select distinct user_id, reason_course_id as course_id from recommendations
),

history as (
    select
        events.user_id,
        events.course_id,
        max(events.event_ts) filter (where events.event_type = 'purchase') as last_purchase,
        max(events.event_ts) filter (where events.event_type = 'refund') as last_refund,
        bool_or(events.event_type = 'complete') as completed,
        bool_or(events.event_type = 'rating') as rated,
        bool_or(events.event_type = 'trial') as tried,
        bool_or(events.event_type = 'favorite') as saved,
        bool_or(events.event_type = 'share') as shared
    from {{ ref('int_events_accepted') }} as events
    semi join reason_pairs
        on events.user_id = reason_pairs.user_id and events.course_id = reason_pairs.course_id
    cross join context
    where events.event_ts <= context.as_of
    group by all
),

truth as (
    select
        *,
        last_refund is not null and (last_purchase is null or last_refund >= last_purchase) as refunded,
        case
            when completed then 'completed'
            when rated then 'rated'
            when last_purchase is not null and not coalesce(last_refund >= last_purchase, false) then 'bought'
            when tried then 'tried'
            when saved then 'saved'
            when shared then 'shared'
            else 'viewed'
        end as relation
    from history
)

select recommendations.*, truth.relation, truth.refunded
from recommendations
left join truth
    on recommendations.user_id = truth.user_id and recommendations.reason_course_id = truth.course_id
where truth.user_id is null
    or truth.refunded
    or recommendations.verb is distinct from truth.relation
    or recommendations.reason_course_id = recommendations.course_id
