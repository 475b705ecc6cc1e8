"""learnmart at scale, beside a SAR-style numpy/scipy reference on the same data, in one run.

    python -m bench [--scales S M L] [--work DIR] [--memory-limit-m 4GB,1GB]   (or: make bench)

Per scale (S: 5,000 users, M: 200,000 users / ~5M events, L: 1,000,000 users / ~25M events):
  1. generate the data (seed 42) and split the events into two files in events/: everything
     before the last day, and the last day (the "one day appended");
  2. build without the last day (from scratch), then append it and build again: the
     incremental build; then build once more with nothing changed, which finds the file up
     to date and stops, and once more all the same (--rebuild-unchanged in
     bench.build_once), which is what any incremental build costs before its first new event;
  3. build everything from scratch (--full-refresh): the full build, with per-model times
     from dbt's run_results, wall time, peak RSS, events/s and file size; and check that the
     incremental and the full build publish the same recommendations and segments;
  4. at M, a full build again under each --memory-limit (default 4GB, which M fits in, and
     1GB, which makes DuckDB spill to the temp dir), and whether it spilled;
  5. the recommendation path alone: on a copy of the full build, `learnmart build --select
     +user_recommendations --full-refresh --threads 1` rebuilds from the raw files only
     the models top-10 needs, one model at a time, so each model's time is its own (in the
     full build two models share the two cores);
  6. the SAR-style reference (bench/sar_reference.py; implicit's item-item where it
     installs) on the same files, and the ratios learnmart / reference, both for the
     model times in the full build and for the path alone;
  7. `learnmart recommend` latency on the full build (bench/lookup_latency.py).
Writes bench/out/scale-<date>.json and .md (ignored by git); bench/results/scale.md is the
curated report: the goals, the latest run and the method.
Never run in CI; needs scipy (`make bench` installs it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from bench.lookup_latency import measure as measure_lookups
from learnmart.paths import project_dir
from learnmart.warehouse.dbt import dbt_command

SCALES = {"S": 5_000, "M": 200_000, "L": 1_000_000}
OUT = Path(__file__).parent / "out"
# the steps the reference's co-occurrence timing covers: pair counts and the similarity metrics
COOCCURRENCE_MODELS = ("int_course_pairs_counted", "course_pairs")


def _run_json(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, *args], check=True, capture_output=True, text=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def prepare(scale: str, users: int, work: Path) -> tuple[Path, dict]:
    """Generated data for one scale, events split into [all but the last day] + [the last day]."""
    data = work / scale / "data"
    info_path = work / scale / "data.json"
    if info_path.exists():
        return data, json.loads(info_path.read_text())
    raw = work / scale / "generated"
    shutil.rmtree(work / scale, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).parent / "learnmart"), "generate", "--out", str(raw), "--users", str(users)],
        check=True,
        capture_output=True,
    )
    generate_s = time.perf_counter() - started
    (data / "events").mkdir(parents=True)
    for path in raw.iterdir():
        if path.name != "events.parquet":
            (data / path.name).symlink_to(path)
    con = duckdb.connect()
    con.execute(f"create view e as select * from read_parquet('{raw / 'events.parquet'}')")
    # the generator's last day; its deliberately malformed rows (bad or future timestamps)
    # go with the bulk, so the appended day is a clean day of events
    last_day = con.execute("select max(event_ts)[:10] from e where event_ts < '2026-07-01'").fetchone()[0]
    ts = "try_cast(event_ts as timestamp)"
    for name, where in (
        ("part-0001", f"{ts} is null or {ts} < timestamp '{last_day}' or {ts} >= timestamp '2026-07-01'"),
        ("part-0002", f"{ts} >= timestamp '{last_day}' and {ts} < timestamp '2026-07-01'"),
    ):
        con.execute(f"copy (select * from e where {where}) to '{data / 'events' / name}.parquet' (format parquet)")
    counts = con.execute(
        f"select count(*), count(*) filter (where {ts} >= timestamp '{last_day}' and {ts} < timestamp '2026-07-01') "
        "from e"
    ).fetchone()
    info = {"users": users, "events": counts[0], "last_day_events": counts[1], "generate_s": generate_s}
    info_path.write_text(json.dumps(info))
    return data, info


def build(
    data: Path,
    db: Path,
    *,
    full_refresh: bool = False,
    memory_limit: str | None = None,
    select: str | None = None,
    threads: int | None = None,
    rebuild_unchanged: bool = False,
) -> dict:
    args = ["-m", "bench.build_once", "--data", str(data), "--db", str(db)]
    if full_refresh:
        args.append("--full-refresh")
    if rebuild_unchanged:
        args.append("--rebuild-unchanged")
    if memory_limit:
        args += ["--memory-limit", memory_limit, "--temp-dir", str(db.parent / "spill")]
    if select:
        args += ["--select", select]
    if threads:
        args += ["--threads", str(threads)]
    return _run_json(args)


def upstream_of(model: str, data: Path) -> set[str]:
    """Names of the models and seeds `model` depends on (itself included), from `dbt ls`."""
    work = Path(tempfile.mkdtemp(prefix="learnmart-ls-"))
    try:
        cmd = dbt_command(["ls", "--select", f"+{model}", "--resource-type", "model", "seed", "--output", "name"],
                           work, {"data_dir": str(data)})  # fmt: skip
        env = {**os.environ, "LEARNMART_DBT_PATH": str(work / "ls.duckdb")}
        out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
        return {line.strip() for line in out.splitlines() if line.strip() and " " not in line.strip()}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _model_folders() -> dict[str, str]:
    """Model name -> the folder it lives in (raw staging, core, segmentation, ...)."""
    models = project_dir() / "models"
    return {
        path.stem: "staging" if "staging" in path.parts else f"{path.parent.parent.name}/{path.parent.name}"
        for path in models.rglob("*")
        if path.suffix in (".sql", ".py")
    }


def node_time_by_folder(timings: dict[str, float]) -> dict[str, float]:
    """dbt node time summed per model folder, plus seeds, data tests and unit tests."""
    folders = _model_folders()
    groups: dict[str, float] = {}
    for node, seconds in timings.items():
        kind, name = node.split(".")[0], node.split(".")[-1]
        group = {"model": folders.get(name, "other models"), "seed": "seeds", "unit_test": "unit tests"}.get(
            kind, "data tests"
        )
        groups[group] = groups.get(group, 0.0) + seconds
    return groups


def model_seconds(timings: dict[str, float], names: set[str] | tuple[str, ...]) -> float:
    return sum(
        t for node, t in timings.items() if node.split(".")[0] in ("model", "seed") and node.split(".")[-1] in names
    )


def compare(a: Path, b: Path) -> dict:
    """Rows in which two builds' published recommendations and segments differ."""
    con = duckdb.connect()
    con.execute(f"attach '{a}' as a (read_only); attach '{b}' as b (read_only)")
    out = {}
    for table, cols in (
        ("main.user_recommendations", "user_id, rank, course_id, reason"),
        ("main.user_segments", "user_id, rfm_segment, lifecycle_stage"),
    ):
        out[table] = con.execute(
            f"select count(*) from ((select {cols} from a.{table} except all select {cols} from b.{table}) "
            f"union all (select {cols} from b.{table} except all select {cols} from a.{table}))"
        ).fetchone()[0]
    out["max_affinity_diff"] = con.execute(
        "select max(abs(x.affinity - y.affinity)) from a.intermediate.int_interactions_weighted x "
        "join b.intermediate.int_interactions_weighted y using (user_id, course_id)"
    ).fetchone()[0]
    return out


def run_scale(scale: str, work: Path, memory_limit_m: str) -> dict:
    data, info = prepare(scale, SCALES[scale], work)
    dbs = work / scale / "db"
    shutil.rmtree(dbs, ignore_errors=True)
    dbs.mkdir()
    appended = data / "events" / "part-0002.parquet"
    held = work / scale / "part-0002.parquet"
    if held.exists() and not appended.exists():
        os.replace(held, appended)  # a run killed during the base build left the last day aside
    os.replace(appended, held)
    try:
        base = build(data, dbs / "incremental.duckdb", full_refresh=True)
    finally:
        os.replace(held, appended)
    incremental = build(data, dbs / "incremental.duckdb")
    # nothing changed since: the build finds the published file up to date and stops
    nothing_changed = build(data, dbs / "incremental.duckdb")
    # the same incremental build run all the same: its floor, with no new file to read
    no_new_events = build(data, dbs / "incremental.duckdb", rebuild_unchanged=True)
    full = build(data, dbs / "full.duckdb", full_refresh=True)
    result = {
        "scale": scale,
        "data": info,
        "build_without_last_day": {k: v for k, v in base.items() if k != "timings"},
        "incremental": incremental,
        "nothing_changed": {k: v for k, v in nothing_changed.items() if k != "timings"},
        "no_new_events": no_new_events,
        "full": full,
        "incremental_vs_full_differences": compare(dbs / "incremental.duckdb", dbs / "full.duckdb"),
    }
    if scale == "M":
        # the goal's limit, which M fits in without spilling, and one low enough that it spills
        result["memory_limited_runs"] = []
        for limit in filter(None, memory_limit_m.split(",")):
            limited = build(data, dbs / "limited.duckdb", full_refresh=True, memory_limit=limit)
            limited = {k: v for k, v in limited.items() if k != "timings"}
            result["memory_limited_runs"].append({"memory_limit": limit, **limited})
            (dbs / "limited.duckdb").unlink()
    # the recommendation path alone, one model at a time, on a copy of the full build
    shutil.copyfile(dbs / "full.duckdb", dbs / "alone.duckdb")
    alone = build(data, dbs / "alone.duckdb", full_refresh=True, select="+user_recommendations", threads=1)
    (dbs / "alone.duckdb").unlink()
    try:
        result["reference"] = _run_json(["-m", "bench.sar_reference", "--data", str(data)])
    except subprocess.CalledProcessError as exc:
        result["reference"] = {"error": (exc.stderr or "").strip().splitlines()[-1:]}
    upstream = upstream_of("user_recommendations", data)
    result["learnmart_cooccurrence_s"] = model_seconds(full["timings"], COOCCURRENCE_MODELS)
    result["learnmart_raw_to_top10_s"] = model_seconds(full["timings"], upstream)
    result["raw_to_top10_models"] = sorted(upstream)
    result["alone"] = {
        "wall_s": alone["wall_s"],
        "cooccurrence_s": model_seconds(alone["timings"], COOCCURRENCE_MODELS),
        "raw_to_top10_s": model_seconds(alone["timings"], upstream),
        "timings": alone["timings"],
    }
    result["lookups"] = measure_lookups(dbs / "full.duckdb")
    (dbs / "incremental.duckdb").unlink()
    return result


def _versions() -> str:
    import dbt.version
    import numpy

    return (
        f"Python {platform.python_version()}, duckdb {duckdb.__version__}, dbt-core {dbt.version.__version__}, "
        f"numpy {numpy.__version__}"
    )


def _ratio(in_build: float, alone: float | None, reference: float | None, fmt: str) -> str:
    """'learnmart / reference = ratio' for the full build's model times, and for the path alone."""
    if not reference:
        return "-"
    text = f"{fmt.format(in_build)} / {fmt.format(reference)} = {in_build / reference:.1f}x"
    if alone is not None:
        text += f"; alone {fmt.format(alone)} = {alone / reference:.1f}x"
    return text


def summary(results: list[dict], date: str) -> str:
    lines = [
        f"\n## Run of {date}\n",
        f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.machine()}; {_versions()}. "
        "Command: `python -m bench` (all figures from that one run).\n",
        "| scale | users | events | full build (s) | peak RSS (GB) | events/s | file (MB) "
        "| +1 day incremental (s) | incremental / full | co-occurrence: learnmart / SAR (s); the models alone "
        "| raw -> top-10: learnmart / SAR (s); the path alone | cold recommend p50 (ms) "
        "| python+duckdb floor (ms) | python+_duckdb floor (ms) | in-process (ms) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        full, inc, ref, look = r["full"], r["incremental"], r.get("reference", {}), r["lookups"]
        co_ref, top_ref = ref.get("cooccurrence_s"), ref.get("total_s")
        alone = r.get("alone", {})
        co = _ratio(r["learnmart_cooccurrence_s"], alone.get("cooccurrence_s"), co_ref, "{:.2f}")
        top = _ratio(r["learnmart_raw_to_top10_s"], alone.get("raw_to_top10_s"), top_ref, "{:.1f}")
        lines.append(
            f"| {r['scale']} | {r['data']['users']:,} | {r['data']['events']:,} | {full['wall_s']:.1f} "
            f"| {full['peak_rss_mb'] / 1024:.1f} | {r['data']['events'] / full['wall_s']:,.0f} "
            f"| {full['file_mb']:,.0f} "
            f"| {inc['wall_s']:.1f} | {inc['wall_s'] / full['wall_s']:.0%} | {co} | {top} "
            f"| {look['cold_p50_ms']:.0f} | {look['python_duckdb_floor_p50_ms']:.0f} "
            f"| {look.get('python_engine_floor_p50_ms', float('nan')):.0f} | {look['in_process_p50_ms']:.2f} |"
        )
    for r in results:
        full_groups = node_time_by_folder(r["full"]["timings"])
        inc_groups = node_time_by_folder(r["incremental"]["timings"])
        lines.append(
            f"\n{r['scale']}: dbt node time per model folder, full / incremental build (s; two threads, so "
            "the sum exceeds the wall): "
            + ", ".join(
                f"{group} {full_groups[group]:.1f} / {inc_groups.get(group, 0.0):.1f}"
                for group in sorted(full_groups, key=lambda g: -full_groups[g])
            )
            + f"; all nodes {sum(full_groups.values()):.1f} / {sum(inc_groups.values()):.1f}."
        )
    for r in results:
        slowest = sorted(
            ((t, n.split(".")[-1]) for n, t in r["full"]["timings"].items() if n.startswith("model.")), reverse=True
        )[:8]
        lines.append(
            f"\n{r['scale']}: slowest models in the full build: "
            + ", ".join(f"`{name}` {t:.1f}s" for t, name in slowest)
            + f". Incremental build ({r['data']['last_day_events']:,} events appended): "
            + ", ".join(
                [
                    f"`{n.split('.')[-1]}` {t:.1f}s"
                    for n, t in sorted(r["incremental"]["timings"].items(), key=lambda kv: -kv[1])
                    if n.startswith("model.")
                ][:5]
            )
            + f". Incremental vs full, rows that differ: {r['incremental_vs_full_differences']}."
        )
        if "no_new_events" in r:
            again_s, day_s, full_s = (r[step]["wall_s"] for step in ("no_new_events", "incremental", "full"))
            lines.append(
                f"{r['scale']}: the incremental build once more with no new events: {again_s:.1f}s "
                f"({again_s / full_s:.0%} of the full build; with the day appended: {day_s - again_s:+.1f}s)."
            )
        if "nothing_changed" in r:
            skip = r["nothing_changed"]
            verdict = "found the file up to date" if skip.get("up_to_date") else "rebuilt it"
            lines.append(f"{r['scale']}: a build with nothing changed {verdict} in {skip['wall_s']:.2f}s.")
        # runs before 2026-12-02 (2281e4d) had one limited build, under "memory_limited"
        for m in r.get("memory_limited_runs") or ([r["memory_limited"]] if "memory_limited" in r else []):
            spilled = {True: ", spilled to the temp dir", False: ", did not spill"}.get(m.get("spilled"), "")
            lines.append(
                f"{r['scale']} under memory_limit={m['memory_limit']}: {m['wall_s']:.1f}s, "
                f"peak RSS {m['peak_rss_mb'] / 1024:.1f} GB{spilled}."
            )
        ref = r.get("reference", {})
        if "implicit_total_s" in ref:
            lines.append(
                f"{r['scale']} implicit item-item (K=50): fit {ref['implicit_fit_s']:.2f}s, raw -> top-10 "
                f"{ref['implicit_total_s']:.1f}s."
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=["S", "M", "L"], choices=list(SCALES))
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "learnmart-bench")
    parser.add_argument(
        "--memory-limit-m",
        default="4GB,1GB",
        help="memory_limit of each extra M build, comma-separated ('' to skip; 1GB makes it spill)",
    )
    parser.add_argument("--summary-of", type=Path, help="print the summary of an earlier run's JSON and exit")
    args = parser.parse_args()
    if args.summary_of:
        print(summary(json.loads(args.summary_of.read_text()), args.summary_of.stem.removeprefix("scale-")))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    date = dt.date.today().isoformat()
    # a run's JSON and summary go to the ignored bench/out/ (scale-<date>-2.json for a second
    # run on one day); bench/results/scale.md is the report a person updates from them
    OUT.mkdir(exist_ok=True)
    out = OUT / f"scale-{date}.json"
    run = 1
    while out.exists():
        run += 1
        out = OUT / f"scale-{date}-{run}.json"
    results = []
    for scale in args.scales:
        print(f"bench: scale {scale} ...", file=sys.stderr, flush=True)
        results.append(run_scale(scale, args.work, args.memory_limit_m))
        out.write_text(json.dumps(results, indent=1))
    text = summary(results, date if run == 1 else f"{date} ({out.name})")
    out.with_suffix(".md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
