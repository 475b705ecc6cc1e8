"""Lookup latency of `learnmart recommend`: cold process and in-process query.

    python -m bench.lookup_latency --db learnmart.duckdb [--runs 20] [--out bench/results/lookup.md]

Cold: the whole console script in a new process (Python start-up, imports, open the file
read-only, one query, render the default table; and again with --format json), p50 and
p90 over --runs users, interleaved with two bare-script floors (python, import duckdb or
only its engine module _duckdb, the same query). In-process: the same
parameterized query on an open read-only connection, p50 over 1,000 users. Never run in CI.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from learnmart.paths import REPO_ROOT

# the query `learnmart recommend` runs (ranks run 1..k: test ranks_from_one)
QUERY = (
    "select rank, course_id, round(score, 4) as score, reason from user_recommendations "
    "where user_id = ? and rank <= ? order by rank"
)


def measure(db: Path, runs: int = 20) -> dict[str, float]:
    """Cold-process p50/p90 over ``runs`` users and in-process p50 over 1,000 users (ms)."""
    con = duckdb.connect(str(db), read_only=True)
    users = [r[0] for r in con.execute("select distinct user_id from user_recommendations order by 1").fetchall()]
    n_users = len(users)
    step = max(1, n_users // 1000)
    sample = users[::step][:1000]
    times = []
    for u in sample:
        t = time.perf_counter()
        con.execute(QUERY, [u, 10]).fetchall()
        times.append(time.perf_counter() - t)
    con.close()
    # an installed tool runs from compiled bytecode (pip compiles a wheel's modules; an
    # editable install writes them on first use). Where writing it is turned off
    # (PYTHONDONTWRITEBYTECODE, as on the bench machine), every cold run compiled
    # learnmart's modules again: 10-22 ms of each run at 200k users
    for folder in ("cli", "udfs", "datagen", "learnmart"):
        compileall.compile_dir(REPO_ROOT / folder, quiet=1)
    learnmart = str(Path(sys.executable).parent / "learnmart")
    # the floor any Python client pays: interpreter, `import duckdb`, open, the same query
    floor_script = (
        "import sys, json, duckdb; con = duckdb.connect(sys.argv[1], read_only=True); "
        f"print(json.dumps(con.execute({QUERY!r}, [sys.argv[2], 10]).fetchall(), default=str))"
    )
    # the same with DuckDB's engine module alone, which `learnmart` imports when it ships
    engine_script = floor_script.replace("duckdb", "_duckdb")
    commands = {
        "cold": [learnmart, "recommend", "{user}", "--db", str(db)],  # the default table output
        "cold_json": [learnmart, "recommend", "{user}", "--db", str(db), "--format", "json"],
        "floor": [sys.executable, "-c", floor_script, str(db), "{user}"],
        "engine_floor": [sys.executable, "-c", engine_script, str(db), "{user}"],
    }
    # interleaved, user by user, so that a slow spell of a shared machine hits all of them alike
    cold: dict[str, list[float]] = {name: [] for name in commands}
    for u in sample[:runs]:
        for name, command in commands.items():
            t = time.perf_counter()
            subprocess.run([a.replace("{user}", u) for a in command], check=True, capture_output=True)
            cold[name].append(time.perf_counter() - t)
    ordered = sorted(cold["cold"])
    return {
        "users": n_users,
        "cold_p50_ms": statistics.median(cold["cold"]) * 1000,
        "cold_p90_ms": ordered[int(0.9 * (len(ordered) - 1))] * 1000,
        "cold_json_p50_ms": statistics.median(cold["cold_json"]) * 1000,
        "python_duckdb_floor_p50_ms": statistics.median(cold["floor"]) * 1000,
        "python_engine_floor_p50_ms": statistics.median(cold["engine_floor"]) * 1000,
        "in_process_p50_ms": statistics.median(times) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, default=Path("learnmart.duckdb"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("bench/results/lookup.md"))
    args = parser.parse_args()
    m = measure(args.db, args.runs)
    n_users, p50, p90, in_process_ms = m["users"], m["cold_p50_ms"], m["cold_p90_ms"], m["in_process_p50_ms"]
    line = f"| {dt.date.today()} | {n_users:,} | {p50:.0f} | {p90:.0f} | {in_process_ms:.2f} |"
    print(line)
    if not args.out.exists():
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            "# `learnmart recommend` latency\n\n"
            "Command: `python -m bench.lookup_latency --db FILE`. Cold = a new process per lookup "
            "(Python start-up, imports, open read-only, query, render JSON); in-process = the query "
            "alone on an open connection.\n\n"
            "| date | users in file | cold p50 (ms) | cold p90 (ms) | in-process p50 (ms) |\n"
            "|---|---|---|---|---|\n"
        )
    with args.out.open("a") as fh:
        fh.write(line + "\n")


if __name__ == "__main__":
    main()
