"""learnmart's command line: a thin Typer layer over the built DuckDB file and `dbt build`.

Lookup commands open the file read-only and run one parameterized query; they import
neither dbt nor pandas nor pyarrow, so a cold process answers quickly.
"""

# no `from __future__ import annotations`: typer would eval() every string annotation of
# every command at each start, which a cold `learnmart recommend` would pay for nothing

import enum
from pathlib import Path
from typing import Annotated

import typer
from learnmart.cli.output import EXIT_ENV, EXIT_NOT_FOUND, FORMAT_OPTION, Format, fail, message, render

from learnmart.paths import default_db

app = typer.Typer(
    name="learnmart",
    help="User segmentation and course recommendations for paid-knowledge platforms.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # markdown, not rich markup: "[default: ...]" in an option's help is text, and docstrings reflow
    rich_markup_mode="markdown",
)

DataOption = Annotated[
    Path,
    typer.Option(
        "--data",
        help="Folder of raw .csv/.parquet files: events, and optionally courses, users, campaign_sends, "
        "suppressions (docs/raw_contract.md).",
    ),
]
DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="The built DuckDB file [default: $LEARNMART_DB or ./learnmart.duckdb]."),
]


def _db(db: Path | None) -> Path:
    return db if db is not None else default_db()


# More rows than any table holds: a larger --k or --size (up to any integer) asks for all of
# them, and stays within the 64-bit integers DuckDB binds.
ROWS_CAP = 2**31 - 1


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write events, courses, users and truth/ into.")],
    users: Annotated[int, typer.Option(min=1, help="Number of users.")] = 5000,
    courses: Annotated[int, typer.Option(min=1, help="Number of courses.")] = 200,
    days: Annotated[int, typer.Option(min=1, help="Days of history, ending at --end.")] = 365,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same bytes.")] = 42,
    end: Annotated[str, typer.Option(help="Last day of the history (YYYY-MM-DD).")] = "2026-06-30",
    malformed: Annotated[
        float,
        typer.Option(min=0.0, max=0.5, help="Share of deliberately malformed event rows (0 = none)."),
    ] = 0.002,
    file_format: Annotated[str, typer.Option("--file-format", help="parquet or csv.")] = "parquet",
    force: Annotated[bool, typer.Option(help="Overwrite an existing non-empty --out.")] = False,
) -> None:
    """Generate realistic, seeded paid-knowledge data in the raw contract."""
    import datetime as dt

    from learnmart.datagen import GeneratorConfig
    from learnmart.datagen import generate as run

    if file_format not in ("parquet", "csv"):
        raise fail(f"--file-format must be parquet or csv, not {file_format!r}", EXIT_ENV)
    try:
        end_date = dt.date.fromisoformat(end)
    except ValueError:
        raise fail(f"--end {end!r} is not a date (YYYY-MM-DD)", EXIT_ENV) from None
    if out.exists() and any(out.iterdir()) and not force:
        raise fail(f"{out} is not empty; pass --force to overwrite", EXIT_ENV)
    if out.exists() and force:
        import shutil

        from learnmart.raw_files import RAW_ENTITIES

        for name in RAW_ENTITIES:
            for ext in ("parquet", "csv"):
                (out / f"{name}.{ext}").unlink(missing_ok=True)
        shutil.rmtree(out / "truth", ignore_errors=True)
    cfg = GeneratorConfig(
        users=users,
        courses=courses,
        days=days,
        seed=seed,
        end_date=end_date,
        malformed_share=malformed,
        format=file_format,
    )
    counts = run(out, cfg)
    message(f"wrote {counts['events']:,} events, {counts['users']:,} users and {counts['courses']:,} courses to {out}")


@app.command()
def build(
    data: DataOption,
    db: DbOption = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Score as of this time [default: the latest event]."),
    ] = None,
    select: Annotated[str | None, typer.Option("--select", help="dbt selection, e.g. +user_segments.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Hide dbt's progress output.")] = False,
    memory_limit: Annotated[
        str | None, typer.Option("--memory-limit", help="DuckDB memory_limit, e.g. 4GB [default: 75% of RAM].")
    ] = None,
    temp_dir: Annotated[
        Path | None, typer.Option("--temp-dir", help="Where DuckDB spills when over the limit.")
    ] = None,
    threads: Annotated[int | None, typer.Option("--threads", min=1, help="dbt threads [default: 2].")] = None,
    full_refresh: Annotated[
        bool,
        typer.Option(
            "--full-refresh", help="Re-read every raw file instead of only the new ones [default: incremental]."
        ),
    ] = False,
    var: Annotated[
        list[str] | None,
        typer.Option(
            "--var",
            help="Set a var of dbt_project/dbt_project.yml, KEY=VALUE (repeatable), e.g. rec_similarity=ease; "
            "checked like the file's own values before any model runs.",
        ),
    ] = None,
) -> None:
    """Build the warehouse: dbt build into a new file, published only if every test passes.

    When the published file came from the same data folder, as-of and project, only raw
    files added since are read (incremental), and nothing is rebuilt when no file changed;
    --full-refresh rebuilds from every file.
    """
    db_path = _build_or_exit(
        data,
        _db(db),
        as_of=as_of,
        select=select,
        quiet=quiet,
        memory_limit=memory_limit,
        temp_dir=temp_dir,
        threads=threads,
        full_refresh=full_refresh,
        extra_vars=_vars(var or []),
    )
    _print_summary(db_path)


def _vars(pairs: list[str]) -> dict:
    """--var KEY=VALUE pairs as dbt vars: values read as YAML (5, 0.3, null, ease), keys checked."""
    import yaml

    from learnmart.paths import project_dir

    known = yaml.safe_load((project_dir() / "dbt_project.yml").read_text())["vars"]
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key.strip() not in known:
            raise fail(f"--var {pair!r}: expected KEY=VALUE with KEY one of the vars in dbt_project.yml", EXIT_ENV)
        try:
            out[key.strip()] = yaml.safe_load(value)
        except yaml.YAMLError:
            out[key.strip()] = value
    return out


def _build_or_exit(data: Path, target: Path, **options) -> Path:
    """run_build, with its failures turned into one line and the CLI's exit codes."""
    from learnmart.warehouse.engine import BuildEnvironmentError, BuildError, run_build

    try:
        result = run_build(data, target, warn=lambda line: message(f"learnmart: warning: {line}"), **options)
    except BuildEnvironmentError as exc:
        raise fail(str(exc), EXIT_ENV) from None
    except BuildError as exc:
        raise fail(f"build failed, {target} left as it was: {exc}", EXIT_NOT_FOUND) from None
    if result.up_to_date:
        built = f"{result.built_at:%Y-%m-%d %H:%M:%S} UTC" if result.built_at else "earlier"
        message(
            f"{result.db} is up to date: built {built} from the same files, project and settings "
            "(nothing rebuilt; --full-refresh rebuilds it anyway)"
        )
        return result.db
    kind = "incrementally " if result.incremental else ""
    why = f"; a full build: {result.full_reason}" if result.full_reason else ""
    message(
        f"built {result.db} {kind}in {result.seconds:.1f}s ({result.models} models, {result.tests} tests passed{why})"
    )
    return result.db


def _print_summary(db: Path) -> None:
    from learnmart.cli.db import open_readonly, query

    con = open_readonly(db)
    cols, rows = query(
        con,
        "select entity, rows_read, rows_accepted, rows_rejected from build_summary order by entity",
    )
    render(cols, rows, Format.table, title="Raw input")
    cols, rows = query(con, "select as_of, first_event_at, last_event_at from build_summary limit 1")
    render(cols, rows, Format.table, title="Window")
    cols, rows = query(
        con,
        """
        select t.table_name as mart, t.estimated_size as approx_rows
        from duckdb_tables() as t
        where t.schema_name = 'main' and t.database_name = current_database()
        order by t.table_name
        """,
    )
    render(cols, rows, Format.table, title="Marts (schema main)")
    _print_health(con)
    con.close()


def _print_health(con) -> None:
    """Every model_health check that is not ok, one line each on stderr: nothing degenerate is silent."""
    from learnmart.cli.db import query

    tables = "select count(*) from duckdb_tables() where schema_name = 'main' and table_name = 'model_health'"
    _, found = query(con, tables)
    if not found[0][0]:
        return  # built before model_health existed
    _, rows = query(con, "select status, check_name, message from model_health where status != 'ok' order by all")
    for status, check, text in rows:
        message(f"model_health {status}: {check}: {text}")


@app.command()
def demo(
    db: DbOption = None,
    data: Annotated[Path, typer.Option("--data", help="Where to write the demo data.")] = Path("data/demo"),
    users: Annotated[int, typer.Option(min=1)] = 5000,
) -> None:
    """Generate demo data (if missing), build it, and show what came out."""
    from learnmart.warehouse.inputs import find_raw_files

    if not find_raw_files(data, "events"):
        generate(out=data, users=users, force=True)
    db_path = _build_or_exit(data, _db(db), quiet=True)
    _print_summary(db_path)
    _print_demo_lookups(db_path)


def _print_demo_lookups(db: Path) -> None:
    """Show whatever lookup marts this build has: segments and one user's recommendations."""
    from learnmart.cli.db import open_readonly, query

    con = open_readonly(db)
    tables = {r[0] for r in con.execute("select table_name from duckdb_tables() where schema_name = 'main'").fetchall()}
    if "segment_summary" in tables:
        cols, rows = query(con, "select * from segment_summary order by revenue desc")
        render(cols, rows, Format.table, title="Segments")
    if "user_recommendations" in tables:
        cols, rows = query(
            con,
            """
            select user_id, rank, course_id, round(score, 4) as score, reason
            from user_recommendations
            where user_id = (select min(user_id) from user_recommendations)
            order by rank
            """,
        )
        render(cols, rows, Format.table, title="Recommendations for one user")
    elif "course_similarity" in tables:
        cols, rows = query(
            con,
            """
            select course_id, other_course_id, round(content_cosine, 3) as content_cosine
            from course_similarity
            where course_id = (select min(course_id) from course_similarity)
            order by neighbor_rank limit 5
            """,
        )
        render(cols, rows, Format.table, title="Similar courses")
    con.close()


@app.command()
def similar(
    course_id: Annotated[str, typer.Argument(help="Course id, exactly as in the raw data.")],
    db: DbOption = None,
    k: Annotated[int, typer.Option("--k", min=1, help="How many similar courses.")] = 10,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Courses most similar to COURSE_ID by content (category, tags, format, price band)."""
    from learnmart.cli.db import open_readonly, query

    con = open_readonly(_db(db))
    cols, rows = query(
        con,
        """
        select s.neighbor_rank as rank, s.other_course_id as course_id, round(s.content_cosine, 4) as content_cosine
        from course_similarity as s
        where s.course_id = ?
        order by s.neighbor_rank
        limit ?
        """,
        [course_id, min(k, ROWS_CAP)],
    )
    if not rows:
        _, known = query(con, "select 1 from intermediate.int_courses_keyed where course_id = ?", [course_id])
        raise fail(
            f"no similar courses for {course_id!r}" if known else f"unknown course {course_id!r}",
            EXIT_NOT_FOUND,
        )
    render(cols, rows, fmt, title=f"Courses similar to {course_id}")


@app.command()
def recommend(
    user_id: Annotated[str, typer.Argument(help="User id, exactly as in the raw data.")],
    db: DbOption = None,
    k: Annotated[int, typer.Option("--k", min=1, help="How many recommendations (at most the built k).")] = 10,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Top courses for USER_ID, with the reason for each, from the precomputed table."""
    from learnmart.cli.db import open_readonly, query

    con = open_readonly(_db(db))
    # `rank <= k`, not `limit k`: one scan of the user's row group instead of a top-k plan
    # that reads it twice; ranks run 1..n (test ranks_from_one)
    cols, rows = query(
        con,
        """
        select rank, course_id, round(score, 4) as score, reason
        from user_recommendations
        where user_id = ? and rank <= ?
        order by rank
        """,
        [user_id, min(k, ROWS_CAP)],
    )
    if not rows:
        _, known = query(con, "select 1 from user_segments where user_id = ?", [user_id])
        raise fail(
            f"no recommendations for {user_id!r}" if known else f"unknown user {user_id!r}",
            EXIT_NOT_FOUND,
        )
    render(cols, rows, fmt, title=f"Recommendations for {user_id}")


class Split(enum.StrEnum):
    temporal = "temporal"
    user_random = "user-random"
    both = "both"


@app.command()
def evaluate(
    data: DataOption,
    split: Annotated[Split, typer.Option("--split", help="Hold-out protocol.")] = Split.both,
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="List length.")] = 10,
    relevance: Annotated[
        str, typer.Option(help="positive: purchase, completion or rating >= 4; any: any interaction.")
    ] = "positive",
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="Keep the evaluation warehouse here (with both splits: NAME.temporal.duckdb and "
            "NAME.user_random.duckdb for --db NAME.duckdb).",
        ),
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Also write the figures to this JSON file.")] = None,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Offline evaluation: train on part of the data, score the held-out rest, beside baselines."""
    import json
    import shutil
    import tempfile

    if relevance not in ("positive", "any"):
        raise fail(f"--relevance must be positive or any, not {relevance!r}", EXIT_ENV)
    splits = ["temporal", "user_random"] if split is Split.both else [split.value.replace("-", "_")]
    workdir = Path(tempfile.mkdtemp(prefix="learnmart-eval-"))
    results: list[dict] = []
    columns: list[str] = []
    try:
        for name in splits:
            if db is None:
                target = workdir / f"{name}.duckdb"
            elif len(splits) == 1:
                target = db
            else:
                target = db.with_name(f"{db.stem}.{name}{db.suffix}")
            columns, rows = _evaluate_split(data, target, name, k, relevance)
            results.extend(dict(zip(columns, row, strict=True)) for row in rows)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if json_out is not None:
        json_out.write_text(json.dumps(results, default=str, indent=2) + "\n")
    render(columns, [list(r.values()) for r in results], fmt, title=f"Offline evaluation at k={k}")
    _say_evaluation(results, splits, k)


def _evaluate_split(data: Path, target: Path, name: str, k: int, relevance: str) -> tuple[list[str], list]:
    """Build ``data`` into ``target`` under one split; its recommendation_evaluation rows."""
    from learnmart.cli.db import open_readonly, query

    message(f"evaluating the {name} split ...")
    _build_or_exit(
        data,
        target,
        quiet=True,
        extra_vars={"eval_split": name, "rec_k": k, "eval_relevance": relevance},
    )
    con = open_readonly(target)
    columns, rows = query(
        con,
        """
        select split, ranker, k, users,
               round(precision_at_k, 4) as precision_at_k,
               round(recall_at_k, 4) as recall_at_k,
               round(ndcg_at_k, 4) as ndcg_at_k,
               round(map_at_k, 4) as map_at_k,
               round(hit_rate, 4) as hit_rate,
               round(catalog_coverage, 4) as catalog_coverage,
               status
        from recommendation_evaluation
        order by case ranker when 'model' then 0 when 'popularity' then 1 when 'sar' then 2 else 3 end
        """,
    )
    con.close()
    return columns, rows


def _say_evaluation(results: list[dict], splits: list[str], k: int) -> None:
    """One line per split on stderr: the model's NDCG beside the baselines', or why there is none."""
    for name in splits:
        by = {r["ranker"]: r for r in results if r["split"] == name}
        model = by.get("model")
        if model is None or not model["users"]:
            status = model["status"] if model else "the build produced no evaluation rows"
            message(f"{name}: {status}")
            continue
        beside = ", ".join(
            f"{ranker} {by[ranker]['ndcg_at_k']:.4f}" for ranker in ("popularity", "sar") if ranker in by
        )
        message(f"{name}: model NDCG@{k} {model['ndcg_at_k']:.4f} on {model['users']} users ({beside})")


@app.command()
def segments(db: DbOption = None, fmt: Format = FORMAT_OPTION) -> None:
    """RFM segments: users, revenue and their shares, averages and propensity."""
    from learnmart.cli.db import open_readonly, query

    con = open_readonly(_db(db))
    cols, rows = query(
        con,
        """
        select
            rfm_segment,
            users,
            round(share_of_users, 4) as share_of_users,
            revenue,
            round(share_of_revenue, 4) as share_of_revenue,
            round(avg_recency_days, 1) as avg_recency_days,
            round(avg_frequency, 2) as avg_frequency,
            avg_monetary,
            round(avg_purchase_propensity, 4) as avg_purchase_propensity
        from segment_summary
        order by revenue desc, rfm_segment
        """,
    )
    render(cols, rows, fmt, title="RFM segments")


@app.command()
def profile(
    user_id: Annotated[str, typer.Argument(help="User id, exactly as in the raw data.")],
    db: DbOption = None,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """One user's profile: tier, stage, interests, propensity, next best action, demographics,
    behavioural cluster and tags."""
    from learnmart.cli.db import open_readonly, query

    con = open_readonly(_db(db))
    cols, rows = query(
        con,
        """
        select
            profiles.*,
            clusters.cluster_id,
            clusters.cluster_name,
            (select list(tag order by tag) from user_tags where user_tags.user_id = profiles.user_id) as tags
        from user_profiles as profiles
        left join user_clusters as clusters on profiles.user_id = clusters.user_id
        where profiles.user_id = ?
        """,
        [user_id],
    )
    if not rows:
        raise fail(f"unknown user {user_id!r}", EXIT_NOT_FOUND)
    if fmt is Format.table:
        render(
            ["field", "value"],
            list(zip(cols, rows[0], strict=True)),
            fmt,
            title=f"Profile of {user_id}",
        )
    else:
        render(cols, rows, fmt)


@app.command()
def campaigns(db: DbOption = None, fmt: Format = FORMAT_OPTION) -> None:
    """The campaign playbook (seed campaign_playbooks) with this build's audience sizes."""
    from learnmart.cli.db import open_readonly, query

    con = open_readonly(_db(db))
    cols, rows = query(con, "select * from campaign_summary order by priority, campaign")
    render(cols, rows, fmt, title="Campaign playbooks")


@app.command()
def audience(
    out: Annotated[Path, typer.Option("--out", help="Where to write: FILE.csv or FILE.parquet.")],
    campaign: Annotated[str | None, typer.Option("--campaign", help="A playbook campaign name.")] = None,
    interest: Annotated[str | None, typer.Option("--interest", help="Users interested in this category.")] = None,
    lookalike: Annotated[
        str | None, typer.Option("--lookalike", help="Users most like the buyers of this course.")
    ] = None,
    size: Annotated[int | None, typer.Option("--size", min=1, help="Keep the top N (interest, lookalike).")] = None,
    db: DbOption = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite --out if it exists.")] = False,
) -> None:
    """Export an audience with pseudonymous keys only: a campaign's, an interest's or a lookalike."""
    from learnmart.cli.db import open_readonly, query

    chosen = [x for x in (campaign, interest, lookalike) if x is not None]
    if len(chosen) != 1:
        raise fail("give exactly one of --campaign, --interest, --lookalike", EXIT_ENV)
    _check_export_path(out, force)
    suffix = out.suffix.lower()
    con = open_readonly(_db(db))
    _, salted = query(con, "select salt_configured from intermediate.int_model_parameters_resolved")
    if not salted or not salted[0][0]:
        raise fail(
            "this warehouse was built without LEARNMART_SALT, so its audience keys could be reversed; "
            "set LEARNMART_SALT and rebuild before exporting",
            EXIT_ENV,
        )
    top = min(int(size), ROWS_CAP) if size else ROWS_CAP  # the marts rank each audience 1..n
    if campaign is not None:
        _, known = query(con, "select 1 from campaign_summary where campaign = ?", [campaign])
        if not known:
            raise fail(f"unknown campaign {campaign!r} (see `learnmart campaigns`)", EXIT_NOT_FOUND)
        sql = """
            select user_key, "group", campaign, rfm_segment, lifecycle_stage, offer_course_id
            from campaign_audiences where campaign = $1 order by audience_rank
        """
        param = campaign
    elif interest is not None:
        sql = f"""
            select user_key, 'treatment' as "group", category, interest_rank, interest_share
            from interest_audiences where category = $1 and audience_rank <= {top} order by audience_rank
        """
        param = interest
    else:
        sql = f"""
            select user_key, 'treatment' as "group", course_id, lookalike_rank, score
            from course_lookalikes where course_id = $1 and lookalike_rank <= {top} order by lookalike_rank
        """
        param = lookalike
    _, counts = query(con, f'select "group", count(*) from ({sql}) group by 1 order by 1', [param])
    if not counts:
        raise fail(f"the audience for {param!r} is empty", EXIT_NOT_FOUND)
    _export(con, sql if suffix == ".parquet" else _csv_safe_query(con, sql, param), param, out)
    for group, n in counts:
        message(f"{group}: {n:,}")
    message(f"wrote {sum(n for _, n in counts):,} pseudonymous keys to {out}")


def _check_export_path(out: Path, force: bool) -> None:
    """Refuse an --out that cannot be written as asked, before anything is read."""
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise fail(f"--out must end in .csv or .parquet, not {out.name!r}", EXIT_ENV)
    if out.is_dir():
        raise fail(f"--out {out} is a directory: name the file to write", EXIT_ENV)
    if out.exists() and not force:
        raise fail(f"{out} exists; pass --force to overwrite it", EXIT_ENV)
    if not out.parent.is_dir():
        raise fail(f"folder {out.parent} does not exist", EXIT_ENV)


def _export(con, sql: str, param: str, out: Path) -> None:
    """COPY the query to ``out`` (by its suffix), written beside it and renamed into place, so
    a reader never sees a half-written file; a failed write exits 2 with one line."""
    import os

    from learnmart.cli.db import duckdb

    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    fmt_sql = "(format parquet)" if out.suffix.lower() == ".parquet" else "(format csv, header true)"
    path_sql = str(tmp).replace("'", "''")
    try:
        con.execute(f"copy ({sql}) to '{path_sql}' {fmt_sql}", [param])
        os.replace(tmp, out)
    except (duckdb.Error, OSError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).splitlines()[0]
        raise fail(f"cannot write {out} ({reason}); nothing was written there", EXIT_ENV) from None
    finally:
        tmp.unlink(missing_ok=True)


# output.FORMULA_START as a regular expression on a cell's start
FORMULA_START_SQL = r"'^[=+\-@\t\r]'"


def _csv_safe_query(con, sql: str, param: str) -> str:
    """``sql`` with each text column as output.csv_safe writes it: a value a spreadsheet
    would run as a formula (starting with =, +, -, @, tab or CR) gets a leading single quote."""
    columns = []
    for name, type_code, *_ in con.execute(f"select * from ({sql}) limit 0", [param]).description:
        col = '"' + name.replace('"', '""') + '"'
        if str(type_code) == "VARCHAR":
            col = f"case when regexp_matches({col}, {FORMULA_START_SQL}) then chr(39) || {col} else {col} end as {col}"
        columns.append(col)
    return f"select {', '.join(columns)} from ({sql})"


@app.command()
def docs(
    db: DbOption = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for the docs site.")] = Path("learnmart-docs"),
    data: Annotated[Path | None, typer.Option("--data", help="Raw data folder [default: the build's].")] = None,
) -> None:
    """Generate the dbt docs site (every model and column, with the catalog) for the built file."""
    from learnmart.warehouse.docs import BuildEnvironmentError, BuildError, generate_docs

    try:
        page = generate_docs(_db(db), out, data)
    except BuildEnvironmentError as exc:
        raise fail(str(exc), EXIT_ENV) from None
    except BuildError as exc:
        raise fail(str(exc), EXIT_NOT_FOUND) from None
    message(f"wrote the docs site to {out}: open {page} in a browser (one self-contained file)")


@app.command()
def report(
    out: Annotated[Path, typer.Option("--out", help="The HTML file to write: one self-contained page of charts.")],
    db: DbOption = None,
) -> None:
    """Write one offline HTML page of charts from the marts of the built file; it loads nothing from the network."""
    from learnmart.cli.db import duckdb, open_readonly

    if out.is_dir():
        raise fail(f"--out {out} is a directory: name the file to write", EXIT_ENV)
    if not out.parent.is_dir():
        raise fail(f"folder {out.parent} does not exist", EXIT_ENV)
    db_path = _db(db)
    con = open_readonly(db_path)
    from learnmart.report import write_report  # altair and vl-convert: only this command pays for them

    try:
        result = write_report(con, out, name=db_path.name)
    except duckdb.Error as exc:
        raise fail(f"cannot read {db_path}: {str(exc).splitlines()[0]}", EXIT_ENV) from None
    except OSError as exc:
        raise fail(f"cannot write {out} ({exc.strerror or exc}); nothing was written there", EXIT_ENV) from None
    finally:
        con.close()
    without = result.without_data
    empty = f" ({len(without)} without data: {', '.join(without)})" if without else ""
    message(f"wrote {len(result.charts)} charts{empty} in {result.seconds:.1f}s to {out.resolve()}")


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
