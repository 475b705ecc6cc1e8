{#-
    One row per sent campaign (from the optional raw file campaign_sends): conversion and
    revenue per user in the var('campaign_window_days') days after each send, treatment
    against control, and the uplift with a 95% confidence interval (normal approximation;
    Welch's standard error for revenue). window_complete is false while the window has
    not fully passed by the build's as-of time.
-#}
with

sends as (
    select * from {{ ref('stg_raw__campaign_sends') }}
),

events as (
    select user_id, event_ts, amount from {{ ref('int_events_accepted') }}
    where event_type = 'purchase'
),

context as (
    select as_of from {{ ref('int_build_context_resolved') }}
),

outcomes as (
    select
        sends.campaign,
        sends.send_group,
        sends.user_id,
        min(sends.sent_at) as sent_at,
        count(events.event_ts) > 0 as converted,
        coalesce(sum(events.amount), 0) as revenue
    from sends
    left join events
        on sends.user_id = events.user_id
        and events.event_ts >= sends.sent_at
        and events.event_ts < sends.sent_at + interval {{ var('campaign_window_days') | int }} day
    group by all
),

by_group as (
    select
        campaign,
        send_group,
        count(*) as users,
        avg(cast(converted as double)) as conversion,
        avg(revenue) as revenue_per_user,
        var_samp(revenue) as revenue_variance,
        min(sent_at) as first_sent_at,
        max(sent_at) as last_sent_at
    from outcomes
    group by all
),

paired as (
    select
        t.campaign,
        t.users as treatment_users,
        c.users as control_users,
        t.conversion as treatment_conversion,
        c.conversion as control_conversion,
        cast(t.revenue_per_user as double) as treatment_revenue_per_user,
        cast(c.revenue_per_user as double) as control_revenue_per_user,
        t.conversion - c.conversion as conversion_uplift,
        sqrt(t.conversion * (1 - t.conversion) / t.users + c.conversion * (1 - c.conversion) / c.users)
            as conversion_uplift_se,
        cast(t.revenue_per_user - c.revenue_per_user as double) as revenue_uplift_per_user,
        sqrt(coalesce(t.revenue_variance, 0) / t.users + coalesce(c.revenue_variance, 0) / c.users)
            as revenue_uplift_se,
        least(t.first_sent_at, c.first_sent_at) as first_sent_at,
        greatest(t.last_sent_at, c.last_sent_at) as last_sent_at
    from by_group as t
    inner join by_group as c
        on t.campaign = c.campaign and t.send_group = 'treatment' and c.send_group = 'control'
),

final as (
    select
        paired.campaign,
        paired.treatment_users,
        paired.control_users,
        paired.treatment_conversion,
        paired.control_conversion,
        paired.conversion_uplift,
        paired.conversion_uplift - 1.96 * paired.conversion_uplift_se as conversion_uplift_ci_low,
        paired.conversion_uplift + 1.96 * paired.conversion_uplift_se as conversion_uplift_ci_high,
        paired.treatment_revenue_per_user,
        paired.control_revenue_per_user,
        paired.revenue_uplift_per_user,
        paired.revenue_uplift_per_user - 1.96 * paired.revenue_uplift_se as revenue_uplift_ci_low,
        paired.revenue_uplift_per_user + 1.96 * paired.revenue_uplift_se as revenue_uplift_ci_high,
        paired.first_sent_at,
        paired.last_sent_at,
        paired.last_sent_at + interval {{ var('campaign_window_days') | int }} day <= context.as_of
            as window_complete
    from paired
    cross join context
)

select * from final
