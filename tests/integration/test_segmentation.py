"""Segmentation marts on generated and sparse data: numbers checked against the raw files."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pytest
from learnmart.udfs import bgnbd
from learnmart.udfs.propensity import auc, fit_logistic

from learnmart.warehouse.engine import run_build
from tests.conftest import run_cli

SEGMENTS = {
    "Champions",
    "Loyal",
    "Potential Loyalist",
    "New",
    "Promising",
    "Need Attention",
    "About to Sleep",
    "At Risk",
    "Can't Lose Them",
    "Hibernating",
    "Lost",
    "Prospect",
    "Refunded",
}


@pytest.fixture(scope="module")
def con(demo_db):
    c = duckdb.connect(str(demo_db), read_only=True)
    yield c
    c.close()


def test_every_segment_is_populated_and_revenue_adds_up(con):
    rows = dict(con.execute("select rfm_segment, users from segment_summary").fetchall())
    assert set(rows) == SEGMENTS
    assert all(n > 0 for n in rows.values())
    summary, events = con.execute(
        """
        select
            (select sum(revenue) from segment_summary),
            (select sum(case event_type when 'purchase' then amount else -amount end)
             from intermediate.int_events_accepted where event_type in ('purchase', 'refund'))
        """
    ).fetchone()
    assert summary == events  # exact: decimals, no rounding


def test_frequency_and_monetary_match_the_raw_file(con, demo_data):
    raw = duckdb.connect()
    raw.execute(
        f"create view e as select * from read_parquet('{demo_data}/events.parquet') "
        "where event_id like 'e%' qualify row_number() over (partition by event_id) = 1"
    )
    expected = dict(
        (u, (int(n), round(float(m), 2)))
        for u, n, m in raw.execute(
            """
            with p as (
                select user_id, course_id, event_ts, amount from e where event_type = 'purchase'
            ),
            r as (
                select user_id, course_id, sum(amount) as refunded from e where event_type = 'refund'
                group by all
            )
            select
                p.user_id,
                count(*) filter (where r.refunded is null or r.refunded < p.amount or p.course_id is null),
                sum(p.amount) - coalesce((select sum(refunded) from r where r.user_id = p.user_id), 0)
            from p left join r on p.user_id = r.user_id and p.course_id = r.course_id
            group by p.user_id
            """
        ).fetchall()
    )
    got = {
        u: (f, round(float(m), 2))
        for u, f, m in con.execute("select user_id, frequency, monetary from user_features").fetchall()
    }
    sample = sorted(expected)[:200]
    assert [got.get(u) for u in sample] == [expected[u] for u in sample]


def test_scores_and_stages_are_consistent(con):
    bad = con.execute(
        """
        select count(*) from user_segments s join user_features f using (user_id)
        where (f.frequency > 0) != (s.r_score is not null)
           or (s.rfm_segment in ('Prospect', 'Refunded')) != (f.frequency = 0)
           or (s.lifecycle_stage in ('prospect', 'refunded')) != (f.frequency = 0)
           or (s.rfm_segment = 'Refunded') != (s.lifecycle_stage = 'refunded')
           or (s.rfm_segment = 'Refunded' and f.refunds = 0)
           or f.monetary < 0
           or (s.r_score >= 4 and s.lifecycle_stage in ('dormant', 'churned'))
           or (s.lifecycle_stage = 'new' and f.recency_days > 30)
        """
    ).fetchone()[0]
    assert bad == 0
    # higher R score means more recent, on average
    r = con.execute(
        "select r_score, avg(f.recency_days) from user_segments s join user_features f using (user_id) "
        "where r_score is not null group by 1 order by 1"
    ).fetchall()
    recency = [x[1] for x in r]
    assert recency == sorted(recency, reverse=True)


def test_propensity_model_beats_rfm_and_bgnbd_out_of_time(con):
    rows = {
        (p, r): auc_
        for p, r, auc_ in con.execute("select population, ranker, auc from propensity_evaluation").fetchall()
    }
    for population in ("all_users", "paying_users"):
        assert rows[(population, "propensity_model")] > rows[(population, "rfm_score")] + 0.02
        assert rows[(population, "propensity_model")] > rows[(population, "bgnbd")]
    # the published propensity is the champion (best AUC over all users), calibrated: same ranking
    (champion,) = con.execute(
        "select ranker from propensity_evaluation where is_champion and population = 'all_users'"
    ).fetchone()
    candidates = ("propensity_model", "bgnbd", "rfm_score", "blend")
    assert rows[("all_users", champion)] == max(rows[("all_users", r)] for r in candidates)
    assert rows[("all_users", "purchase_propensity")] == pytest.approx(rows[("all_users", champion)], abs=1e-9)
    models = con.execute("select distinct propensity_model, propensity_status from user_segments").fetchall()
    assert models == [(champion, "scored")]
    # calibration: predicted and observed rates agree overall within a few points
    mean_pred, base = con.execute(
        "select mean_predicted, base_rate from propensity_evaluation "
        "where population = 'all_users' and ranker = 'purchase_propensity'"
    ).fetchone()
    assert abs(mean_pred - base) < 0.05


def test_sql_auc_matches_numpy(con):
    scores, labels = zip(
        *con.execute(
            "select score_propensity_model, paid_next from intermediate.int_propensity_scored "
            "where snapshot = 'evaluate'"
        ).fetchall(),
        strict=True,
    )
    sql_auc = con.execute(
        "select auc from propensity_evaluation where population = 'all_users' and ranker = 'propensity_model'"
    ).fetchone()[0]
    assert sql_auc == pytest.approx(auc(np.array(scores), np.array(labels)), abs=1e-9)


def test_segment_flow_accounts_for_every_current_user(con):
    flow, users = con.execute(
        "select (select sum(users) from segment_flow), (select count(*) from user_segments)"
    ).fetchone()
    assert flow == users


def test_logistic_fit_recovers_known_coefficients():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20000, 3))
    logit = -1.0 + 1.5 * x[:, 0] - 0.8 * x[:, 1]
    y = rng.random(20000) < 1 / (1 + np.exp(-logit))
    model = fit_logistic(x, y, ["a", "b", "c"], l2=0.0)
    assert model.coefficients * 1 / model.stds == pytest.approx([1.5, -0.8, 0.0], abs=0.08)
    assert auc(model.predict(x), y) > 0.8


def _simulate_bgnbd(n: int, r: float, alpha: float, a: float, b: float, seed: int):
    """(x, t_x, T) of n customers drawn from the BG/NBD process itself."""
    rng = np.random.default_rng(seed)
    lam, p, t = rng.gamma(r, 1 / alpha, n), rng.beta(a, b, n), rng.uniform(30, 80, n)
    x, t_x = np.zeros(n, dtype=int), np.zeros(n)
    for i in range(n):
        clock = 0.0
        while True:
            clock += rng.exponential(1 / lam[i])
            if clock > t[i]:
                break
            x[i] += 1
            t_x[i] = clock
            if rng.random() < p[i]:
                break
    return x, t_x, t


def test_bgnbd_recovers_simulated_parameters():
    r, alpha, a, b = 0.3, 5.0, 0.7, 2.0
    x, t_x, t = _simulate_bgnbd(8000, r, alpha, a, b, seed=1)
    fitted = bgnbd.fit(x, t_x, t)
    assert fitted.r == pytest.approx(r, rel=0.2)
    assert fitted.alpha == pytest.approx(alpha, rel=0.3)
    assert fitted.a == pytest.approx(a, rel=0.35)
    assert fitted.b == pytest.approx(b, rel=0.35)
    alive = bgnbd.p_alive(fitted, x, t_x, t)
    assert np.all((alive > 0) & (alive <= 1))
    assert np.all(alive[x == 0] == 1.0)


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_profile_in_every_format(demo_db, con, fmt):
    user, segment = con.execute(
        "select user_id, rfm_segment from user_profiles where frequency > 1 order by user_id limit 1"
    ).fetchone()
    result = run_cli("profile", user, "--db", str(demo_db), "--format", fmt)
    assert result.returncode == 0, result.stderr
    if fmt == "json":
        row = json.loads(result.stdout)[0]
        assert row["user_id"] == user and row["rfm_segment"] == segment and row["next_action"]
    elif fmt == "csv":
        header, line = result.stdout.strip().splitlines()
        assert header.startswith("user_key,user_id,rfm_segment") and user in line
    else:
        assert user in result.stdout and segment in result.stdout


def test_profile_of_unknown_user_exits_1(demo_db):
    result = run_cli("profile", "nobody-'; --", "--db", str(demo_db))
    assert result.returncode == 1
    assert result.stderr.strip() == 'learnmart: unknown user "nobody-\'; --"'


def test_segments_command(demo_db):
    result = run_cli("segments", "--db", str(demo_db), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert {r["rfm_segment"] for r in json.loads(result.stdout)} == SEGMENTS


def test_sparse_purchase_only_export(tmp_path):
    """Only purchase events, no course, no catalog or users file, another currency, ids with leading zeros."""
    rng = np.random.default_rng(5)
    lines = ["order_no,user_id,event_type,event_ts,amount,currency"]
    k = 0
    for u in range(1, 401):
        n_orders = 1 + rng.poisson(1.5 if u % 3 else 4)
        days = np.sort(rng.integers(0, 360, n_orders))
        for d in days:
            k += 1
            lines.append(
                f"{k},{u:06d},purchase,2025-01-01T00:00:00Z,{rng.integers(5, 80)}.50,USD".replace(
                    "2025-01-01", str(np.datetime64("2025-01-01") + np.timedelta64(int(d), "D"))
                )
            )
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "events.csv").write_text("\n".join(lines) + "\n")
    db = tmp_path / "w.duckdb"
    run_build(tmp_path / "data", db, quiet=True)
    c = duckdb.connect(str(db), read_only=True)
    users, paying, scored, staged, with_category = c.execute(
        """
        select
            count(*),
            count(*) filter (where f.frequency > 0),
            count(*) filter (where s.r_score is not null and s.purchase_propensity is not null
                             and s.lifecycle_stage != 'prospect'),
            count(*) filter (where s.lifecycle_stage is not null),
            count(f.top_category)
        from user_features f join user_segments s using (user_id)
        """
    ).fetchone()
    assert users == paying == scored == staged == 400
    assert with_category == 0
    assert c.execute("select min(user_id) from user_features").fetchone()[0] == "000001"
    assert c.execute("select distinct currency from staging.stg_raw__events").fetchall() == [("USD",)]
    evaluation = dict(
        c.execute("select ranker, auc from propensity_evaluation where population = 'paying_users'").fetchall()
    )
    assert set(evaluation) == {"propensity_model", "bgnbd", "rfm_score", "blend", "purchase_propensity"}


def _bgnbd_histories(seed: int = 5, n: int = 3000):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 6, n)
    t = np.round(rng.uniform(2, 60, n) * 7) / 7
    t_x = np.where(x > 0, np.round(rng.uniform(0, 1, n) * t * 7) / 7, 0.0)
    return x, t_x, t


BGNBD_POINTS = ([0.3, 5.0, 0.7, 2.0], [1.0, 1.0, 1.0, 1.0], [2.0, 20.0, 0.2, 5.0])


def test_bgnbd_fast_objective_is_the_likelihood():
    """The fit's objective (distinct histories, one log per distinct time) is -log_likelihood."""
    x, t_x, t = _bgnbd_histories()
    histories = bgnbd._Histories(x, t_x, t)
    for params in BGNBD_POINTS:
        expected = -bgnbd.log_likelihood(np.array(params), x, t_x, t)
        assert histories.newton_terms(np.log(params))[0] == pytest.approx(expected, rel=1e-12)


def test_bgnbd_newton_derivatives_match_finite_differences():
    """Newton's gradient and Hessian are those of the likelihood, term by term."""
    x, t_x, t = _bgnbd_histories()
    histories = bgnbd._Histories(x, t_x, t)
    value = lambda theta: histories.newton_terms(theta)[0]  # noqa: E731
    eps = 1e-5
    for params in BGNBD_POINTS:
        theta = np.log(params)
        _, grad, hess = histories.newton_terms(theta)
        steps = np.eye(4) * eps
        grad_fd = np.array([(value(theta + e) - value(theta - e)) / (2 * eps) for e in steps])
        hess_fd = np.array(
            [(histories.newton_terms(theta + e)[1] - histories.newton_terms(theta - e)[1]) / (2 * eps) for e in steps]
        )
        assert grad == pytest.approx(grad_fd, rel=1e-6, abs=1e-6 * np.abs(grad).max())
        assert hess == pytest.approx(hess_fd, rel=1e-6, abs=1e-6 * np.abs(hess).max())


def test_bgnbd_fit_is_the_maximum():
    """The fit is a stationary point that no nearby parameters beat, from any start."""
    x, t_x, t = _simulate_bgnbd(3000, 0.5, 8.0, 1.2, 3.0, seed=7)
    histories = bgnbd._Histories(x, t_x, t)
    fitted = bgnbd.fit(x, t_x, t)
    theta = np.log([fitted.r, fitted.alpha, fitted.a, fitted.b])
    value, grad, hess = histories.newton_terms(theta)
    assert fitted.log_likelihood == pytest.approx(-value, rel=1e-12)
    assert np.abs(grad).max() < 1e-6 * abs(value)
    assert np.all(np.linalg.eigvalsh(hess) > 0)
    # one more Newton step would move no log-parameter by more than 1e-6
    assert np.abs(np.linalg.solve(hess, -grad)).max() < 1e-6
    rng = np.random.default_rng(0)
    for _ in range(20):
        assert histories.newton_terms(theta + rng.normal(0, 1e-3, 4))[0] > value
    restarted = bgnbd.fit(x, t_x, t, start=bgnbd.BgNbdParams(0.5, 50.0, 3.0, 3.0, 0.0, 0))
    assert restarted.log_likelihood == pytest.approx(fitted.log_likelihood, rel=1e-10)
    assert restarted.r == pytest.approx(fitted.r, rel=1e-4)


@pytest.mark.parametrize(
    ("x", "t_x", "t"),
    [
        ([0], [0.0], [5.0]),
        ([0, 0, 0], [0.0] * 3, [1.0, 2.0, 3.0]),
        ([1, 0], [2.0, 0.0], [3.0, 4.0]),
        ([2] * 5, [3.0] * 5, [3.0] * 5),
    ],
    ids=["one customer", "no repeat buyer", "two customers", "one history"],
)
def test_bgnbd_fit_stays_finite_on_degenerate_histories(x, t_x, t):
    """Tiny or degenerate data has no interior optimum: the fit still ends with usable numbers."""
    x, t_x, t = np.array(x), np.array(t_x), np.array(t)
    fitted = bgnbd.fit(x, t_x, t)
    assert np.all(np.isfinite([fitted.r, fitted.alpha, fitted.a, fitted.b, fitted.log_likelihood]))
    for p in (bgnbd.p_alive(fitted, x, t_x, t), bgnbd.p_purchase_within(fitted, x, t_x, t, 4.0)):
        assert np.all((p >= 0) & (p <= 1))
