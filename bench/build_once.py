"""One `learnmart build`, measured: prints a JSON line with wall time, peak RSS and dbt's timings.

    python -m bench.build_once --data DIR --db FILE [--full-refresh] [--memory-limit 4GB --temp-dir DIR]
                               [--select +user_recommendations --threads 1]
                               [--rebuild-unchanged]

Run as its own process by `python -m bench`, so that the peak RSS of the dbt child process
(resource.RUSAGE_CHILDREN) belongs to this one build. With --temp-dir, "spilled" says whether
DuckDB spilled there: it makes the folder when it first spills and removes it when the build
closes the file, so the folder is watched while the build runs.
"""

from __future__ import annotations

import argparse
import json
import resource
import threading
import time
from pathlib import Path

from learnmart.warehouse.engine import run_build


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--full-refresh", action="store_true")
    parser.add_argument("--memory-limit")
    parser.add_argument("--temp-dir", type=Path)
    parser.add_argument("--select")
    parser.add_argument("--threads", type=int)
    # build even when the published file is up to date (to time an incremental build's floor)
    parser.add_argument("--rebuild-unchanged", action="store_true")
    args = parser.parse_args()
    spilled = threading.Event()
    done = threading.Event()

    def watch(folder: Path) -> None:
        while not done.wait(0.05):
            if folder.is_dir():
                spilled.set()
                return

    if args.temp_dir:
        threading.Thread(target=watch, args=(args.temp_dir,), daemon=True).start()
    started = time.perf_counter()
    result = run_build(
        args.data,
        args.db,
        quiet=True,
        full_refresh=args.full_refresh,
        memory_limit=args.memory_limit,
        temp_dir=args.temp_dir,
        select=args.select,
        threads=args.threads,
        skip_up_to_date=not args.rebuild_unchanged,
    )
    wall = time.perf_counter() - started
    done.set()
    print(
        json.dumps(
            {
                "wall_s": wall,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                "incremental": result.incremental,
                "up_to_date": result.up_to_date,
                "models": result.models,
                "tests": result.tests,
                "file_mb": args.db.stat().st_size / 2**20,
                "spilled": spilled.is_set() if args.temp_dir else None,
                "timings": result.timings,
            }
        )
    )


if __name__ == "__main__":
    main()
