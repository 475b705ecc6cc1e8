"""How well the behavioural clusters find the generator's planted personas (issue 27).

    python -m bench.cluster_personas --data DIR --db FILE [--min-events 10]

DIR is generated data with truth/personas.csv; FILE its build. Prints the adjusted Rand
index (ARI) of user_clusters against the personas, over every user, over the light users
(1 to --min-events - 1 events) and over the users with at least --min-events events (a
persona shows only in what a user does; the goal is judged on these), the same
with k pinned at the number of personas (the fit of int_clusters_fitted run again on the
built int_user_behaviour_aggregated), an upper bound (each user at the nearest persona mean in the
same space: how far apart the personas are in what users do), and the cluster x persona
table.
"""

from __future__ import annotations

import argparse
import importlib.util
from pathlib import Path

import duckdb
import numpy as np
from learnmart.udfs import clusters as cl

MODEL = Path(__file__).resolve().parents[1] / "dbt_project/models/intermediate/profiles/int_clusters_fitted.py"


class _Refs:
    """The part of dbt's Python model API the model's _features uses: ref() as a relation."""

    def __init__(self, con):
        self.con = con

    def ref(self, name):
        return self.con.table(f"intermediate.{name}")


def space(con, drop: tuple[str, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    """(user keys, rows) in the space int_clusters_fitted clusters: weighted z-scores of the
    built int_user_behaviour_aggregated, without the features in ``drop``."""
    spec = importlib.util.spec_from_file_location("int_clusters_fitted", MODEL)
    model = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(model)
    keys, used, x = model._features(_Refs(con))
    keep = [i for i, f in enumerate(used) if f not in drop]
    used, x = [used[i] for i in keep], x[:, keep]
    z, _, _ = cl.standardize(x)
    return keys, z * model.weights(used)


def refit(con, k: int | None = None, drop: tuple[str, ...] = ()) -> dict[int, int]:
    """{user_key: cluster} of int_clusters_fitted's fit run again on the built
    int_user_behaviour_aggregated: k pinned, or chosen in the build's range; without the features in ``drop``."""
    keys, z = space(con, drop)
    k_min, k_max, seed = con.execute(
        "select cluster_k_min, cluster_k_max, cluster_seed from intermediate.int_cluster_parameters_resolved"
    ).fetchall()[0]
    fit = cl.fit(z, k_min, k_max, k=k, seed=seed)
    return dict(zip(keys.tolist(), fit.clustering.labels.tolist(), strict=True))


def _nearest_persona(con, keys: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Each user's nearest persona mean in the clustering's space: what a clustering that
    found the personas' centres exactly would give (an upper bound for k-means here)."""
    space_keys, z = space(con)
    z = z[np.searchsorted(space_keys, keys)]
    personas = sorted(set(truth))
    centres = np.array([z[truth == p].mean(axis=0) for p in personas])
    return cl._squared_distances(z, centres).argmin(axis=1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--min-events", type=int, default=10)
    args = parser.parse_args()
    con = duckdb.connect(str(args.db), read_only=True)
    rows = con.execute(
        f"""
        select c.user_key, c.cluster_id, p.persona, b.events
        from user_clusters as c
        inner join read_csv({str(args.data / "truth" / "personas.csv")!r}) as p on c.user_id = p.user_id
        inner join intermediate.int_user_behaviour_aggregated as b on c.user_key = b.user_key
        order by c.user_key
        """
    ).fetchall()
    keys = np.array([r[0] for r in rows])
    labels = np.array([r[1] for r in rows])
    truth = np.array([r[2] for r in rows])
    events = np.array([r[3] for r in rows])
    personas = sorted(set(truth))
    pinned = refit(con, len(personas))
    pinned_labels = np.array([pinned[k] for k in keys.tolist()])
    seen = events >= args.min_events
    light = (events > 0) & ~seen
    k, chosen_by, silhouette, baseline, by_k = con.execute(
        "select k, k_chosen_by, silhouette, baseline_silhouette, silhouette_by_k"
        " from intermediate.int_clusters_fitted limit 1"
    ).fetchall()[0]
    print(
        f"users: {len(rows):,}; without events: {(events == 0).sum():,}; with 1 to {args.min_events - 1}: "
        f"{light.sum():,}; with at least {args.min_events}: {seen.sum():,}"
    )
    print(f"k = {k} by {chosen_by} (silhouette {silhouette:.3f}, shuffled features {baseline:.3f}; by k: {by_k})")
    print()
    few_events, enough = f"1 to {args.min_events - 1} events", f"{args.min_events}+ events"
    print(f"| clusters | ARI, every user | ARI, users with {few_events} | ARI, users with {enough} |")
    print("|---|---|---|---|")
    runs = (
        (f"as built (k = {len(set(labels))})", labels),
        (f"k pinned at {len(personas)}", pinned_labels),
        ("each user at the nearest persona mean (bound)", _nearest_persona(con, keys, truth)),
    )
    for name, lab in runs:
        every = cl.adjusted_rand_index(truth, lab)
        few = cl.adjusted_rand_index(truth[light], lab[light])
        active = cl.adjusted_rand_index(truth[seen], lab[seen])
        print(f"| {name} | {every:.3f} | {few:.3f} | {active:.3f} |")
    names = dict(con.execute("select cluster_id, cluster_name from cluster_summary").fetchall())
    print()
    print("| cluster | " + " | ".join(personas) + " |")
    print("|---|" + "---|" * len(personas))
    for c in sorted(set(labels)):
        counts = [int(((labels == c) & (truth == p)).sum()) for p in personas]
        print(f"| {c}: {names.get(c, '')} | " + " | ".join(f"{n:,}" for n in counts) + " |")


if __name__ == "__main__":
    main()
