"""One row per paying user x snapshot: BG/NBD fitted on that snapshot's purchase history.

For each snapshot (fit, evaluate, current) the four BG/NBD parameters are fitted by
maximum likelihood on every paying customer's (x, t_x, T) as of the snapshot - the
calibration window is all history up to it, times in whole days (as lifetimes does with
freq="D") - and give each customer P(alive) and P(purchase within the next N days).
propensity_evaluation reports this as the BG/NBD baseline; int_propensity_features_joined feeds
it to learnmart's model as one input.
"""

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from learnmart.udfs import bgnbd

    params_rel = dbt.ref("int_model_parameters_resolved")
    params = params_rel.fetchnumpy()
    horizon_weeks = float(params["propensity_horizon_days"][0]) / 7.0
    rel = (
        dbt.ref("int_user_snapshots_aggregated")
        .filter("paid_orders > 0")
        .select(
            """
        snapshot,
        user_id,
        paid_orders - 1 as x,
        round((epoch(last_order_at) - epoch(first_order_at)) / 86400.0) / 7.0 as t_x,
        round((epoch(snapshot_at) - epoch(first_order_at)) / 86400.0) / 7.0 as t
        """
        )
        .order("snapshot, user_id")
    )
    data = rel.fetchnumpy()
    snapshots = np.asarray(data["snapshot"], dtype=object)
    user_ids = np.asarray(data["user_id"], dtype=object)
    parts = []
    params = None
    for snap in ("fit", "evaluate", "current"):
        sel = snapshots == snap
        if not sel.any():
            continue
        x = np.asarray(data["x"], dtype=np.int64)[sel]
        t_x = np.asarray(data["t_x"], dtype=np.float64)[sel]
        t = np.asarray(data["t"], dtype=np.float64)[sel]
        # each snapshot starts from the previous one's optimum: the same customers, a month on
        params = bgnbd.fit(x, t_x, t, start=params)
        n = int(sel.sum())
        parts.append(
            {
                "snapshot": np.full(n, snap, dtype=object),
                "user_id": user_ids[sel],
                "bgnbd_p_alive": bgnbd.p_alive(params, x, t_x, t),
                "bgnbd_p_purchase": bgnbd.p_purchase_within(params, x, t_x, t, horizon_weeks),
                "bgnbd_r": np.full(n, params.r),
                "bgnbd_alpha": np.full(n, params.alpha),
                "bgnbd_a": np.full(n, params.a),
                "bgnbd_b": np.full(n, params.b),
            }
        )
    schema = pa.schema(
        [
            ("snapshot", pa.string()),
            ("user_id", pa.string()),
            ("bgnbd_p_alive", pa.float64()),
            ("bgnbd_p_purchase", pa.float64()),
            ("bgnbd_r", pa.float64()),
            ("bgnbd_alpha", pa.float64()),
            ("bgnbd_a", pa.float64()),
            ("bgnbd_b", pa.float64()),
        ]
    )
    columns = {name: np.concatenate([p[name] for p in parts]) if parts else [] for name in schema.names}
    return pa.table(columns, schema=schema)
