{#-
    One row per check of a fitted or tuned step: is its output fit to use? status is ok,
    warn or fail; value and threshold are the numbers the check compared; message says
    what it means for a marketer. `learnmart build` prints every warn and fail line, and
    the test assert_model_health_ok (severity warn) shows them to `dbt build` users.
-#}
{%- set horizon = var('propensity_horizon_days') | int %}
with

windows as (
    select * from {{ ref('int_propensity_windows_chosen') }}
),

fits as (
    select distinct model, status, train_positives, iterations
    from {{ ref('int_propensity_models_fitted') }}
),

champion as (
    select * from {{ ref('int_propensity_champion_chosen') }}
),

published as (
    select * from {{ ref('int_propensity_calibrated') }}
    where snapshot = 'current'
),

deciles as (
    select * from {{ ref('propensity_calibration') }}
),

segments as (
    select * from {{ ref('user_segments') }}
),

features as (
    select user_id, monetary, recency_days from {{ ref('user_features') }}
),

refunds as (
    select * from {{ ref('int_refunds_matched') }}
),

selection as (
    select * from {{ ref('int_recommenders_compared') }}
),

neighbor_limits as (
    select
        count(distinct course_key) filter (where neighbors_found > neighbors_limit) as courses_cut,
        coalesce(max(neighbors_found), 0) as most_found,
        coalesce(max(neighbors_limit), {{ var('rec_neighbors') }}) as neighbors_limit
    from {{ ref('int_course_neighbors_fitted') }}
),

history_sizes as (
    select user_key, count(*) as history_courses
    from {{ ref('int_interactions_weighted') }}
    where affinity > 0
    group by user_key
),

scored_history_sizes as (
    -- what int_recommendation_history_weighted chooses from: positive affinity, refunded courses out
    select user_key, count(*) as history_courses
    from {{ ref('int_recommender_interactions_weighted') }}
    where weight > 0
    group by user_key
),

recommended as (
    select
        (select count(*) from {{ ref('int_recommendation_users_prepared') }}) as users,
        (select count(distinct user_id) from {{ ref('user_recommendations') }}) as users_with_recommendations
),

evaluation as (
    select * from {{ ref('recommendation_evaluation') }}
),

clusters as (
    select * from {{ ref('int_clusters_fitted') }}
),

propensity_checks as (
    select
        'propensity_window' as check_name,
        case when not has_window then 'fail' when shift_horizons > 0 then 'warn' else 'ok' end as status,
        cast(shift_horizons * {{ horizon }} as double) as value,
        0.0 as threshold,
        case
            when not has_window then 'Purchase propensity is not scored: ' || status
            when shift_horizons > 0 then 'Purchase propensity learned from older windows: ' || status
            else 'Purchase propensity learned from the latest {{ horizon }}-day windows'
        end as message
    from windows
    union all
    select
        'propensity_fit_' || model,
        case when status = 'fitted' then 'ok' when status = 'not_converged' then 'warn' else 'warn' end,
        cast(train_positives as double),
        cast({{ var('propensity_min_positives') }} as double),
        'The ' || model || ' logistic model: ' || status || ' (' || train_positives || ' buyers to learn from, '
            || iterations || ' Newton steps)'
    from fits
    union all
    select
        'propensity_spread',
        case when count(distinct purchase_propensity) >= least(100, count(*) / 2) then 'ok'
             when count(distinct purchase_propensity) > 1 then 'warn' else 'fail' end,
        cast(count(distinct purchase_propensity) as double),
        cast(least(100, count(*) / 2) as double),
        case when count(distinct purchase_propensity) > 1
            then count(distinct purchase_propensity) || ' distinct purchase_propensity values over '
                || count(*) || ' users'
            else 'purchase_propensity is NULL for everyone: ' || any_value(propensity_status) end
    from published
    union all
    select
        'propensity_champion_auc',
        case when auc is null then 'fail' when auc < 0.55 then 'warn' else 'ok' end,
        auc,
        0.55,
        'purchase_propensity comes from ' || ranker || ', out-of-time AUC ' || round(auc, 3)
            || ' on ' || users || ' users (' || positives || ' buyers)'
            || case when auc < 0.55 then ': barely better than chance' else '' end
    from champion
    where is_champion
    union all
    select
        'propensity_model_vs_baselines',
        case when model.auc >= greatest(bgnbd.auc, rfm.auc) - 0.01 then 'ok' else 'warn' end,
        model.auc,
        greatest(bgnbd.auc, rfm.auc),
        'The logistic model ranks buyers with AUC ' || round(model.auc, 3) || ' against BG/NBD '
            || round(bgnbd.auc, 3) || ' and RFM ' || round(rfm.auc, 3)
            || case when model.auc < greatest(bgnbd.auc, rfm.auc) - 0.01
                then '; purchase_propensity uses the better ranker instead' else '' end
    from champion as model
    inner join champion as bgnbd on bgnbd.ranker = 'bgnbd'
    inner join champion as rfm on rfm.ranker = 'rfm_score'
    where model.ranker = 'propensity_model' and model.auc is not null
    union all
    select
        'propensity_calibration_monotone',
        case when count(*) < 2 then 'warn'
             when avg(case when next_rate >= observed_rate - 0.02 then 1.0 else 0.0 end) >= 0.75 then 'ok'
             else 'warn' end,
        avg(case when next_rate >= observed_rate - 0.02 then 1.0 else 0.0 end),
        0.75,
        'Share of deciles whose buyers rate does not fall (2 points of slack) from one decile to the next'
    from (
        select observed_rate, lead(observed_rate) over (order by decile) as next_rate from deciles
    )
    where next_rate is not null
),

segment_checks as (
    select
        'segment_negative_revenue' as check_name,
        case when count(*) filter (where monetary < 0) = 0 then 'ok' else 'fail' end as status,
        cast(count(*) filter (where monetary < 0) as double) as value,
        0.0 as threshold,
        count(*) filter (where monetary < 0) || ' users with negative net revenue' as message
    from features
    union all
    select
        'segment_recent_not_lapsed',
        case when count(*) = 0 then 'ok' else 'fail' end,
        cast(count(*) as double),
        0.0,
        count(*) || ' users whose R score says they bought recently but whose lifecycle stage is dormant or churned'
    from segments
    where (r_score >= 4 and lifecycle_stage in ('dormant', 'churned'))
        or (r_score = 3 and lifecycle_stage = 'churned')
    union all
    select
        'segment_new_are_recent',
        case when count(*) = 0 then 'ok' else 'fail' end,
        cast(count(*) as double),
        cast({{ var('lifecycle_new_days') }} as double),
        count(*) || ' users in lifecycle stage new whose last order is older than '
            || {{ var('lifecycle_new_days') }} || ' days'
    from segments
    inner join features on segments.user_id = features.user_id
    where segments.lifecycle_stage = 'new' and features.recency_days > {{ var('lifecycle_new_days') }}
    union all
    select
        'segment_score_spread',
        case when count(distinct f_score) >= least(3, count(distinct features.frequency)) then 'ok' else 'warn' end,
        cast(count(distinct f_score) as double),
        cast(least(3, count(distinct features.frequency)) as double),
        'F takes ' || count(distinct f_score) || ' values over ' || count(distinct features.frequency)
            || ' distinct order counts'
    from segments
    inner join {{ ref('user_features') }} as features on segments.user_id = features.user_id
    where segments.f_score is not null
    union all
    select
        'refunds_without_purchase',
        case when count(*) filter (where refund_issue is not null) = 0 then 'ok' else 'warn' end,
        cast(count(*) filter (where refund_issue is not null) as double),
        0.0,
        count(*) filter (where refund_issue = 'no_earlier_purchase')
        || ' refunds with no earlier purchase of the course and '
            || count(*) filter (where refund_issue = 'beyond_amount_paid')
            || ' beyond what was paid: counted only up to what was paid'
    from refunds
),

recommendation_checks as (
    select
        'recommender_beats_popularity' as check_name,
        case
            when chosen.ndcg is null then 'warn'
            when chosen.kind = 'popularity' or chosen.ndcg > popular.ndcg then 'ok'
            else 'warn'
        end as status,
        chosen.ndcg as value,
        popular.ndcg as threshold,
        case
            when chosen.ndcg is null then 'Recommender not compared: ' || chosen.status
            else 'Recommendations use ' || chosen.candidate || ': nDCG ' || round(chosen.ndcg, 3)
                || ' on held-out courses against popularity ' || round(popular.ndcg, 3)
        end as message
    from selection as chosen
    inner join selection as popular on popular.kind = 'popularity'
    where chosen.chosen
    union all
    select
        'rec_neighbors_limit',
        case when courses_cut > 0 then 'warn' else 'ok' end,
        cast(courses_cut as double),
        cast(neighbors_limit as double),
        case when courses_cut > 0
            then courses_cut || ' courses keep only their ' || neighbors_limit || ' strongest neighbours (of up to '
                || most_found || '; var rec_neighbors, or rec_sparse_neighbors above rec_dense_max_courses '
                || 'courses: a safety limit)'
            else 'Every course keeps all its neighbours' end
    from neighbor_limits
    union all
    select
        'rec_history_limit',
        case
            when count(*) filter (where history_courses > {{ var('rec_history_courses') }}) > 0 then 'warn'
            else 'ok'
        end,
        cast(count(*) filter (where history_courses > {{ var('rec_history_courses') }}) as double),
        0.0,
        count(*) filter (where history_courses > {{ var('rec_history_courses') }})
            || ' users are scored from only their ' || {{ var('rec_history_courses') }}
            || ' strongest courses (var rec_history_courses, a safety limit)'
    from scored_history_sizes
    union all
    select
        'rec_course_pairs_limit',
        case when count(*) filter (where history_courses > {{ var('pair_max_courses_per_user') }}) > 0
            then 'warn' else 'ok' end,
        cast(count(*) filter (where history_courses > {{ var('pair_max_courses_per_user') }}) as double),
        0.0,
        count(*) filter (where history_courses > {{ var('pair_max_courses_per_user') }})
            || ' users count in course_pairs with only their ' || {{ var('pair_max_courses_per_user') }}
            || ' most recent courses (var pair_max_courses_per_user; the recommender itself uses every course)'
    from history_sizes
    union all
    select
        'recommendations_for_every_user',
        case when users_with_recommendations = users then 'ok' else 'fail' end,
        cast(users_with_recommendations as double),
        cast(users as double),
        users_with_recommendations || ' of ' || users || ' users have recommendations'
    from recommended
    union all
    select
        'evaluation_' || split,
        case
            when users = 0 then 'fail'
            when users < 100 then 'warn'
            when ranker = 'model' and ndcg_at_k <= (
                select max(ndcg_at_k) from evaluation where ranker = 'popularity'
            ) then 'warn'
            else 'ok'
        end,
        cast(users as double),
        100.0,
        'The ' || split || ' split judged ' || users || ' users: ' || status
    from evaluation
    where ranker = 'model'
),

cluster_checks as (
    -- degenerate: no cluster, an empty one, or no more structure than shuffled features have
    select
        'clusters_fit' as check_name,
        case
            when count(*) = 0 or min(users) = 0 then 'fail'
            when any_value(silhouette) <= 0 or any_value(silhouette) <= any_value(baseline_silhouette)
                or count(*) < 2 or not bool_and(converged) then 'warn'
            else 'ok'
        end as status,
        any_value(silhouette) as value,
        any_value(baseline_silhouette) as threshold,
        case
            when count(*) = 0 then 'No behavioural clusters: no users'
            else count(*) || ' behavioural clusters (k by ' || any_value(k_chosen_by) || '; silhouette '
                || coalesce(any_value(silhouette_by_k), '-') || '): silhouette ' || round(any_value(silhouette), 3)
                || ' against ' || round(any_value(baseline_silhouette), 3) || ' for the same k on shuffled features'
                || case when min(users) = 0 then '; a cluster is empty' else '' end
                || case when not bool_and(converged) then '; the full fit did not converge in '
                    || any_value(iterations) || ' steps' else '' end
                || case when any_value(silhouette) <= any_value(baseline_silhouette)
                    then '; no clearer than chance: read the clusters as bands, not groups' else '' end
        end
    from clusters
),

final as (
    select * from propensity_checks
    union all
    select * from cluster_checks
    union all
    select * from segment_checks
    union all
    select * from recommendation_checks
)

select
    case
        when check_name like 'propensity%' then 'propensity'
        when check_name like 'evaluation%' then 'evaluation'
        when check_name like 'rec%' then 'recommendations'
        when check_name like 'clusters%' then 'clusters'
        else 'segments'
    end as area,
    check_name,
    status,
    value,
    threshold,
    message
from final
