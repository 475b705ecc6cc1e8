{#-
    One row per user x snapshot (evaluate, current): purchase_propensity, the champion
    ranker's score (int_propensity_champion_chosen) calibrated into a probability,
    p = sigmoid(a * logit(score) + b), with the ranker that scored it and a status.
    NULL, with the reason in propensity_status, when there is no champion (no window with
    enough buyers) or when the champion gives every user of the snapshot the same score:
    a constant is never published as a propensity.
-#}
with

scored as (
    select * from {{ ref('int_propensity_scored') }}
),

champion as (
    select * from {{ ref('int_propensity_champion_chosen') }}
    where is_champion
),

windows as (
    select status as window_status, has_window from {{ ref('int_propensity_windows_chosen') }}
),

picked as (
    select
        scored.snapshot,
        scored.user_id,
        scored.paid_next,
        champion.ranker,
        champion.calibration_a,
        champion.calibration_b,
        case champion.ranker
            when 'propensity_model' then scored.score_propensity_model
            when 'bgnbd' then scored.score_bgnbd
            when 'rfm_score' then scored.score_rfm
            when 'blend' then scored.score_blend
        end as score
    from scored
    left join champion on true
),

distinct_scores as (
    select snapshot, count(distinct score) as distinct_scores
    from picked
    group by snapshot
),

spread as (
    select picked.*, distinct_scores.distinct_scores
    from picked
    inner join distinct_scores on picked.snapshot = distinct_scores.snapshot
),

final as (
    select
        spread.snapshot,
        spread.user_id,
        spread.paid_next,
        case
            when windows.has_window and spread.distinct_scores > 1
                then 1 / (1 + exp(-(spread.calibration_a * {{ logit('spread.score') }} + spread.calibration_b)))
        end as purchase_propensity,
        case when windows.has_window and spread.distinct_scores > 1 then spread.ranker end as propensity_model,
        case
            when not windows.has_window then 'not scored: ' || windows.window_status
            when spread.ranker is null then 'not scored: no ranker could be judged on the evaluation window'
            when spread.distinct_scores = 0 then 'not scored: ' || spread.ranker || ' could not score this snapshot'
            when spread.distinct_scores = 1 then 'not scored: ' || spread.ranker || ' gives every user the same score'
            else 'scored'
        end as propensity_status
    from spread
    cross join windows
)

select * from final
