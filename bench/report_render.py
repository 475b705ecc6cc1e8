"""What `learnmart report` costs, beside the road not taken.

    python -m bench.report_render --db FILE [--runs 3] [--out bench/results/report.md]

(a) what the report does: each chart's Vega-Lite spec rendered to SVG by vl-convert when
the page is written, inline, no script. (b) the alternative: the same specs embedded with
the Vega, Vega-Lite and vega-embed JavaScript (vl-convert's bundle), drawn by the browser
when the page opens. Times: the imports, the queries, building the specs, rendering (a) or
bundling (b), and the whole `learnmart report` process (median of --runs); sizes: the page
each way. Never run in CI.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def measure(db: Path, runs: int) -> dict:
    """Stage times (s) and page sizes (bytes) of both ways, in one process, then whole-process runs."""
    _, imports = _timed(lambda: __import__("learnmart.report"))
    from learnmart import report

    con = duckdb.connect(str(db), read_only=True)
    tables = report.tables_in(con)
    charts = [c for c in report.CHARTS.values() if all(t in tables for t in c.tables)]
    rows, queries = _timed(lambda: {c.key: report.fetch_rows(con, report.chart_sql(c, tables)) for c in charts})
    specs, build = _timed(lambda: {c.key: c.draw(rows[c.key]).to_dict() for c in charts if rows[c.key]})
    first_key = next(iter(specs))
    _, first_svg = _timed(lambda: report.render_svg(specs[first_key], "x"))  # starts vl-convert's JS engine
    svgs, svg = _timed(lambda: [report.render_svg(spec, key) for key, spec in specs.items()])
    import vl_convert as vlc

    bundle, bundling = _timed(vlc.javascript_bundle)
    users = con.execute("select count(*) from user_features").fetchone()[0]
    con.close()
    out = Path(db).with_suffix(".report-bench.html")
    wall = []
    for _ in range(runs):
        _, seconds = _timed(
            lambda: subprocess.run(
                [str(Path(sys.executable).parent / "learnmart"), "report", "--db", str(db), "--out", str(out)],
                check=True,
                capture_output=True,
            )
        )
        wall.append(seconds)
    page = out.stat().st_size
    out.unlink()
    return {
        "users": users,
        "charts": len(specs),
        "imports": imports,
        "queries": queries,
        "specs": build,
        "svg_first": first_svg,
        "svg_all": svg,
        "bundle": bundling,
        "page_a": page,
        "svg_bytes": sum(len(s) for s in svgs),
        "page_b": page - sum(len(s) for s in svgs) + len(bundle) + sum(len(json.dumps(s)) for s in specs.values()),
        "wall_median": statistics.median(wall),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=None, help="Append a row to this markdown file.")
    args = parser.parse_args()
    m = measure(args.db, args.runs)
    row = (
        f"| {dt.date.today()} | {m['users']:,} | {m['charts']} | {m['wall_median']:.2f} | {m['imports']:.2f} | "
        f"{m['queries']:.2f} | {m['specs']:.2f} | {m['svg_first']:.2f} + {m['svg_all']:.2f} | "
        f"{m['page_a'] / 1e3:.0f} kB | {m['bundle']:.2f} | {m['page_b'] / 1e3:.0f} kB |"
    )
    print(json.dumps(m, indent=2))
    print(row)
    if args.out:
        with args.out.open("a") as f:
            f.write(row + "\n")


if __name__ == "__main__":
    main()
