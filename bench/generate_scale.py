"""Generator at scale: wall time and peak memory of `learnmart generate`.

    python -m bench.generate_scale [--users 200000] [--out bench/results/generate.md]

Runs the generator as a child process under /usr/bin/time -v (or resource.getrusage) and
records events written, seconds and peak RSS. Never run in CI.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path("bench/results/generate.md"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="learnmart-gen-"))
    learnmart = str(Path(sys.executable).parent / "learnmart")
    started = time.time()
    subprocess.run(
        [learnmart, "generate", "--out", str(work), "--users", str(args.users), "--seed", str(args.seed)],
        check=True,
    )
    seconds = time.time() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    events = duckdb.sql(f"select count(*) from '{work}/events.parquet'").fetchall()[0][0]
    size_mb = sum(p.stat().st_size for p in work.rglob("*") if p.is_file()) / 2**20
    line = (
        f"| {dt.date.today()} | {args.users:,} | {events:,} | {seconds:.1f} | {events / seconds:,.0f} "
        f"| {peak_mb:,.0f} | {size_mb:,.0f} |"
    )
    print(line)
    if not args.out.exists():
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(
            "# Generator at scale\n\n"
            f"Machine: {platform.machine()}, {platform.system()}, Python {platform.python_version()}. "
            "Command: `python -m bench.generate_scale --users N`. The generator streams one chunk of "
            "20,000 users at a time to Parquet, so peak memory depends on the chunk size, not on N.\n\n"
            "| date | users | events | seconds | events/s | peak RSS (MB) | files (MB) |\n"
            "|---|---|---|---|---|---|---|\n"
        )
    with args.out.open("a") as fh:
        fh.write(line + "\n")


if __name__ == "__main__":
    main()
