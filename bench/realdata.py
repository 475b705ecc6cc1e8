"""learnmart on real data: OULAD converted by datagen/oulad.py, built, and what the build says.

    python -m bench.realdata --data data/oulad --db data/oulad.duckdb [--no-evaluate]
                             [--out bench/results/realdata.md]
    (or: make realdata, which converts ../shared/data/oulad into data/oulad first)

1. `learnmart build --data DATA --db DB -q --full-refresh` as a child process: its wall
   time and peak RSS (the child's own rusage from os.wait4, dbt's process included).
   --full-refresh so that a second run measures a whole build again, not the check that
   finds the published file up to date.
2. `learnmart evaluate --data DATA --split both --json FILE` the same way (two more builds,
   one per split), unless --no-evaluate.
3. From the built file: build_summary, rejected rows by reason, propensity_evaluation,
   propensity_calibration, model_health, and the marts that show how the models read
   real data (segments, lifecycle stages, recommendations). A table the build does not
   have is reported as "not in this build", not as an error.
4. The behavioural clusters against OULAD's outcomes and demographics (--src's
   studentInfo.csv): pass and withdrawal rates per cluster, with and without the
   features the adapter derives from the outcome.

Prints the report and writes it to --out (overwritten: the file is the latest run, dated).
Never run in CI.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

RESULTS = Path(__file__).parent / "results"
LEARNMART = str(Path(sys.executable).parent / "learnmart")
NOT_BUILT = "not in this build"

# (heading, table the query needs, query) for the built file, in report order
SECTIONS = (
    (
        "build_summary",
        "build_summary",
        "select entity, rows_read, rows_accepted, rows_rejected, as_of, first_event_at, last_event_at "
        "from build_summary order by entity",
    ),
    (
        "Rejected events by reason",
        "rejected_events",
        "select reject_reason, count(*) as rows from rejected_events group by 1 order by 2 desc",
    ),
    (
        "propensity_evaluation",
        "propensity_evaluation",
        "select population, ranker, users, positives, base_rate, auc, mean_predicted, brier_score, "
        "fitted_as_of, evaluated_as_of, outcome_window_end from propensity_evaluation order by population, ranker",
    ),
    (
        "propensity_calibration",
        "propensity_calibration",
        "select decile, users, mean_predicted, observed_rate, min_predicted, max_predicted "
        "from propensity_calibration order by decile",
    ),
    ("model_health", "model_health", "select * from model_health"),
    ("segment_summary", "segment_summary", "select * from segment_summary order by users desc"),
    (
        "Lifecycle stages (user_segments)",
        "user_segments",
        "select lifecycle_stage, count(*) as users from user_segments group by 1 order by 2 desc",
    ),
    (
        "Recommendations by source (user_recommendations)",
        "user_recommendations",
        "select source, count(*) as rows, count(distinct user_id) as users, count(distinct course_id) as courses "
        "from user_recommendations group by 1 order by 2 desc",
    ),
    (
        "recommender_selection (the leaderboard the default recommender was chosen on)",
        "recommender_selection",
        "select candidate, round(ndcg, 4) as ndcg, round(map, 4) as map, round(recall, 4) as recall, "
        "coverage, users, chosen from recommender_selection order by ndcg desc nulls last, candidate",
    ),
    (
        "Most recommended courses at rank 1",
        "user_recommendations",
        "select course_id, count(*) as users from user_recommendations where rank = 1 "
        "group by 1 order by 2 desc, 1 limit 10",
    ),
)


def run_measured(cmd: list[str]) -> dict:
    """Run ``cmd`` (output to this terminal); its wall seconds, peak RSS (MB) and exit code."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "command": " ".join(Path(cmd[0]).name if i == 0 else part for i, part in enumerate(cmd)),
        "wall_s": time.perf_counter() - started,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        "exit_code": proc.returncode,
    }


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, decimal.Decimal):
        return f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value).replace("|", "\\|").replace("\n", " ")


def markdown_table(columns: list[str], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def raw_files(data: Path) -> str:
    """Rows per raw file, and events per type."""
    con = duckdb.connect()
    lines = []
    for path in sorted(data.iterdir()):
        if path.suffix in (".csv", ".parquet"):
            n = con.execute(f"select count(*) from '{path}'").fetchone()[0]
            lines.append(f"{path.name} {n:,}")
    events = data / "events.parquet"
    if events.exists():
        by_type = con.execute(f"select event_type, count(*) from '{events}' group by 1 order by 2 desc").fetchall()
        lines.append("events by type: " + ", ".join(f"{t} {n:,}" for t, n in by_type))
    return "; ".join(lines)


def built_sections(db: Path) -> list[str]:
    """One markdown section per entry of SECTIONS, read from the built file."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = {name for (name,) in con.execute("select table_name from information_schema.tables").fetchall()}
        out = []
        for heading, table, sql in SECTIONS:
            if table not in tables:
                out.append(f"### {heading}\n\n{table}: {NOT_BUILT}.")
                continue
            result = con.execute(sql)
            columns = [d[0] for d in result.description]
            rows = result.fetchall()
            body = markdown_table(columns, rows) if rows else "(no rows)"
            out.append(f"### {heading}\n\n{body}")
        return out
    finally:
        con.close()


PASSED = "('Pass', 'Distinction')"


def clusters_section(db: Path, src: Path) -> str:
    """The behavioural clusters against OULAD's outcomes and demographics (studentInfo.csv in
    src): per cluster, the share of its students' presentations passed and withdrawn, and
    who they are; then the same fit without completion_share, which OULAD's adapter derives
    from the outcome itself (a complete event for a pass), and without spend as well (a
    withdrawal is a refund): the first table cannot be read as behaviour predicting the result."""
    info = src / "studentInfo.csv"
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = {name for (name,) in con.execute("select table_name from information_schema.tables").fetchall()}
        if "user_clusters" not in tables:
            return f"## Clusters against outcomes\n\nuser_clusters: {NOT_BUILT}."
        if not info.exists():
            return f"## Clusters against outcomes\n\nNot run: no {info} to read the outcomes from."
        con.execute(
            f"""
            create temp table outcomes as
            select cast(id_student as varchar) as user_id, final_result, gender, age_band, highest_education
            from read_csv({str(info)!r}, all_varchar = true)
            """
        )
        built = _outcome_table(con, "select user_key, user_id, cluster_id, cluster_name from user_clusters")
        without_completion = _refit_table(con, "without_completion", ("completion_share",))
        clicks_only = _refit_table(con, "clicks_only", ("completion_share", "frequency", "monetary", "discount_share"))
        return "\n\n".join(
            [
                "## Clusters against outcomes",
                "Per behavioural cluster (`user_clusters`): its students, the share of their module "
                "presentations passed (Pass or Distinction) and withdrawn, and their demographics "
                "(OULAD's studentInfo.csv).",
                built,
                "The same fit without completion_share: the adapter writes a complete event for "
                "each pass, so the clusters above partly see the outcome. These still see "
                "unregistrations, which the adapter maps to refunds (net spend 0 for a student who "
                "withdrew from every module), beside clicks, recency, the module mix and the time of day.",
                without_completion,
                "And without spend as well (orders, net revenue, discounts): clicks, active days, "
                "recency, the module mix and the time of day only.",
                clicks_only,
            ]
        )
    finally:
        con.close()


def _refit_table(con, name: str, drop: tuple[str, ...]) -> str:
    """_outcome_table of int_clusters_fitted's fit run again without the features in ``drop``."""
    from bench.cluster_personas import refit

    con.execute(f"create temp table {name} (user_key bigint, cluster_id bigint)")
    con.executemany(f"insert into {name} values (?, ?)", list(refit(con, drop=drop).items()))
    return _outcome_table(
        con,
        f"select r.user_key, c.user_id, r.cluster_id, '' as cluster_name "
        f"from {name} as r inner join user_clusters as c on r.user_key = c.user_key",
    )


def _outcome_table(con, clusters_sql: str) -> str:
    rows = con.execute(
        f"""
        with clusters as ({clusters_sql})
        select
            clusters.cluster_id,
            any_value(clusters.cluster_name) as cluster_name,
            count(distinct clusters.user_id) as students,
            round(avg(case when outcomes.final_result in {PASSED} then 1.0 else 0.0 end), 3) as pass_rate,
            round(avg(case when outcomes.final_result = 'Withdrawn' then 1.0 else 0.0 end), 3) as withdrawn_rate,
            round(avg(case when outcomes.gender = 'F' then 1.0 else 0.0 end), 3) as female,
            round(avg(case when outcomes.age_band = '0-35' then 1.0 else 0.0 end), 3) as age_0_35,
            round(avg(case when outcomes.highest_education in ('HE Qualification', 'Post Graduate Qualification')
                then 1.0 else 0.0 end), 3) as higher_education
        from clusters
        inner join outcomes on clusters.user_id = outcomes.user_id
        group by clusters.cluster_id
        order by clusters.cluster_id
        """
    ).fetchall()
    columns = ["cluster_id", "cluster_name", "students", "pass_rate", "withdrawn_rate", "female", "age_0_35",
               "higher_education"]  # fmt: skip
    rates = [r[3] for r in rows if r[2] >= 100]
    if not rates:
        return markdown_table(columns, rows)
    ratio = f"{max(rates) / min(rates):.1f}x" if min(rates) > 0 else "no ratio: the lowest is 0"
    spread = f"pass rate from {min(rates):.3f} to {max(rates):.3f} ({ratio})"
    return markdown_table(columns, rows) + f"\n\nAmong clusters of at least 100 students: {spread}."


def evaluate(data: Path) -> tuple[dict, list[dict]]:
    """`learnmart evaluate --split both`, measured, with its figures from --json."""
    with tempfile.TemporaryDirectory(prefix="learnmart-realdata-") as tmp:
        figures = Path(tmp) / "evaluate.json"
        run = run_measured([LEARNMART, "evaluate", "--data", str(data), "--split", "both", "--json", str(figures)])
        rows = json.loads(figures.read_text()) if figures.exists() else []
    return run, rows


def reference_ease(data: Path, lambdas: tuple[float, ...] = (10.0, 100.0, 300.0, 1000.0)) -> str:
    """Steck's EASE in 15 lines of numpy on the user_random split's training rows, scored
    like recommendation_evaluation (learnmart.udfs.item_models.ranking_metrics), beside the
    rankers that split's own build judged: the same held-out courses, the same run."""
    import numpy as np
    from learnmart.udfs import item_models as im

    from learnmart.warehouse.engine import run_build

    with tempfile.TemporaryDirectory(prefix="learnmart-realdata-ease-") as tmp:
        db = Path(tmp) / "user_random.duckdb"
        run_build(data, db, quiet=True, extra_vars={"eval_split": "user_random"})
        with duckdb.connect(str(db), read_only=True) as con:
            judged = con.execute(
                "select ranker, users, round(ndcg_at_k, 4), round(map_at_k, 4) from recommendation_evaluation "
                "where status = 'judged' order by ranker"
            ).fetchall()
            train = con.execute(
                "select user_id, course_key, affinity > 0 as positive, is_taken "
                "from intermediate.int_interactions_weighted order by user_id, course_key"
            ).fetchnumpy()
            courses = con.execute(
                "select p.course_key, k.course_id, p.is_available "
                "from intermediate.int_recommendation_courses_prepared as p "
                "join intermediate.int_courses_keyed as k using (course_key) order by p.course_key"
            ).fetchnumpy()
            relevant = con.execute(
                "select user_id, list(course_id) from intermediate.int_eval_relevant_courses_selected group by 1"
            ).fetchall()
    keys = np.asarray(courses["course_key"])
    users, row = np.unique(np.asarray(train["user_id"], dtype=object), return_inverse=True)
    col = np.searchsorted(keys, np.asarray(train["course_key"]))
    x = np.zeros((len(users), len(keys)))
    x[row, col] = np.asarray(train["positive"], dtype=float)
    taken = np.zeros_like(x, dtype=bool)
    taken[row, col] = np.asarray(train["is_taken"], dtype=bool)
    ids = {c: i for i, c in enumerate(courses["course_id"])}
    at = {u: i for i, u in enumerate(users)}
    evaluated = [(at[u], [ids[c] for c in cs if c in ids]) for u, cs in relevant if u in at]
    rows = np.array([u for u, _ in evaluated], dtype=np.int64)
    out = []
    for lam in lambdas:
        g = x.T @ x + lam * np.eye(len(keys))
        p = np.linalg.inv(g)
        b = p / -np.diag(p)
        np.fill_diagonal(b, 0.0)
        exclude = taken[rows] | ~np.asarray(courses["is_available"], dtype=bool)[None, :]
        top = im.top_k(x[rows] @ b, exclude, 10)
        m = im.ranking_metrics(top, [np.array(r, dtype=np.int64) for _, r in evaluated], 10)
        out.append((f"reference EASE (lambda={lam:g})", len(rows), round(m["ndcg"], 4), round(m["map"], 4)))
    table = markdown_table(["ranker", "users", "ndcg_at_k", "map_at_k"], judged + out)
    return (
        "## Reference EASE on the user_random split\n\n"
        "One more build with `--var eval_split=user_random` (what `learnmart evaluate` builds); its "
        "judged rankers beside Steck's EASE fitted on that build's training rows (binary, positive "
        "affinity) and scored on the same held-out courses, taken and unpublished courses skipped.\n\n" + table
    )


def revision() -> str:
    """The commit built, and whether the working tree had changes to tracked files."""
    repo = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "commit unknown (no git)"
    return f"commit {commit}" + (" with uncommitted changes to tracked files" if dirty else "")


def _run_line(run: dict) -> str:
    return (
        f"`{run['command']}`: {run['wall_s']:.1f} s wall, peak RSS {run['peak_rss_mb']:,.0f} MB, "
        f"exit {run['exit_code']}"
    )


def report(
    data: Path,
    db: Path,
    build: dict,
    evaluation: tuple[dict, list[dict]] | None,
    src: Path = Path("../shared/data/oulad"),
) -> str:
    versions = ", ".join(f"{p} {importlib.metadata.version(p)}" for p in ("duckdb", "dbt-core", "dbt-duckdb"))
    parts = [
        "# learnmart on real data: OULAD",
        "Kuzilek J., Hlosta M., Zdrahal Z. (2017), Open University Learning Analytics dataset, "
        "Scientific Data 4, 170171, CC BY 4.0; mapped by `datagen/oulad.py` (docs/real_data.md).",
        f"Run: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} cores, {platform.system()} "
        f"{platform.machine()}, Python {platform.python_version()}, {versions}; {revision()}. "
        "Command: `make realdata`.",
        f"Raw files in `{data}`: {raw_files(data)}.",
        "## Build\n\n" + _run_line(build),
    ]
    if build["exit_code"] != 0:
        parts.append(f"The build failed: nothing below was read. Its output above says why; `{db}` is unchanged.")
        return "\n\n".join(parts) + "\n"
    parts += built_sections(db)
    parts.append(clusters_section(db, src))
    if evaluation is None:
        parts.append("## Offline evaluation\n\nNot run (--no-evaluate).")
    else:
        run, rows = evaluation
        table = markdown_table(list(rows[0]), [tuple(r.values()) for r in rows]) if rows else "(no figures)"
        parts.append(f"## Offline evaluation\n\n{_run_line(run)}\n\n{table}")
        parts.append(reference_ease(data))
    return "\n\n".join(parts) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.realdata", description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("data/oulad"))
    parser.add_argument("--db", type=Path, default=Path("data/oulad.duckdb"))
    parser.add_argument("--no-evaluate", action="store_true", help="skip `learnmart evaluate` (two more builds)")
    parser.add_argument("--out", type=Path, default=RESULTS / "realdata.md")
    parser.add_argument(
        "--src", type=Path, default=Path("../shared/data/oulad"), help="OULAD's own files, for the outcomes"
    )
    args = parser.parse_args()
    build = run_measured([LEARNMART, "build", "--data", str(args.data), "--db", str(args.db), "-q", "--full-refresh"])
    evaluation = None if args.no_evaluate or build["exit_code"] != 0 else evaluate(args.data)
    text = report(args.data, args.db, build, evaluation, args.src)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    print(f"written to {args.out}", file=sys.stderr)
    sys.exit(1 if build["exit_code"] != 0 else 0)


if __name__ == "__main__":
    main()
