{#-
    One row: which windows the purchase-propensity models learn and are judged on.

    With N = var('propensity_horizon_days'), the label windows are N days long and end k
    horizons before as-of. A window's positives are the users already seen at its start
    who paid within it. The latest shift k (0 .. var('propensity_max_window_shift')) whose
    evaluation window (as_of - (k+1)N, as_of - kN] and the fit window before it both hold
    var('propensity_min_positives') positives is used: the fit snapshot is at
    as_of - (k+2)N and the evaluation snapshot at as_of - (k+1)N. When no shift has enough
    positives, `status` says so and purchase_propensity is NULL for everyone.
-#}
{%- set horizon = var('propensity_horizon_days') | int %}
{%- set max_shift = var('propensity_max_window_shift') | int %}
{%- set min_positives = var('propensity_min_positives') | int %}
with

context as (
    select as_of from {{ ref('int_build_context_resolved') }}
),

events as (
    select user_id, event_type, event_ts from {{ ref('int_events_windowed') }}
),

users as (
    select user_id, signup_ts from {{ ref('int_users_keyed') }}
),

first_seen as (
    select
        users.user_id,
        least(min(events.event_ts), min(users.signup_ts)) as first_seen_at
    from users
    left join events on users.user_id = events.user_id
    group by users.user_id
),

shifts as (
    select range as shift from range(0, {{ max_shift + 2 }})
),

purchases as (
    select distinct
        events.user_id,
        (epoch_us(context.as_of) - epoch_us(events.event_ts)) // ({{ horizon }} * 86400000000) as shift
    from events
    cross join context
    where events.event_type = 'purchase' and events.event_ts <= context.as_of
),

positives as (
    -- per shift: buyers in the window who were already seen when it started
    select
        shifts.shift,
        count(first_seen.user_id) as positives
    from shifts
    cross join context
    left join purchases on shifts.shift = purchases.shift
    left join first_seen
        on purchases.user_id = first_seen.user_id
        and first_seen.first_seen_at <= context.as_of - interval ({{ horizon }} * (shifts.shift + 1)) day
    group by shifts.shift
),

usable as (
    select
        evaluation.shift,
        evaluation.positives as evaluation_positives,
        fit.positives as fit_positives
    from positives as evaluation
    inner join positives as fit on fit.shift = evaluation.shift + 1
    where evaluation.shift <= {{ max_shift }}
        and evaluation.positives >= {{ min_positives }}
        and fit.positives >= {{ min_positives }}
),

chosen as (
    select min(shift) as shift from usable
),

final as (
    select
        coalesce(chosen.shift, 0) as shift_horizons,
        ({{ horizon }} * (coalesce(chosen.shift, 0) + 2)) as fit_days_before_as_of,
        ({{ horizon }} * (coalesce(chosen.shift, 0) + 1)) as evaluate_days_before_as_of,
        coalesce(usable.fit_positives, latest.fit_positives, 0) as fit_positives,
        coalesce(usable.evaluation_positives, latest.evaluation_positives, 0) as evaluation_positives,
        chosen.shift is not null as has_window,
        case
            when chosen.shift is null then
                'no two consecutive {{ horizon }}-day windows in the last {{ (max_shift + 2) * horizon }} days '
                || 'hold {{ min_positives }} buyers already seen when the window starts'
            when chosen.shift = 0 then 'latest windows'
            else 'shifted back ' || chosen.shift * {{ horizon }}
                || ' days: the latest ' || chosen.shift * {{ horizon }} || ' days hold too few buyers'
        end as status
    from (select 1) as one
    left join chosen on true
    left join usable on chosen.shift = usable.shift
    left join (
        select evaluation.positives as evaluation_positives, fit.positives as fit_positives
        from positives as evaluation
        inner join positives as fit on fit.shift = 1
        where evaluation.shift = 0
    ) as latest on true
)

select * from final
