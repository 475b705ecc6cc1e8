"""`run_build`: the build in named steps (check, plan, prepare, run dbt, judge, publish).

Builds are incremental when they can be: if the published file was built from the same
data folder, as-of, vars, project and UDFs (its build fingerprint matches), the new file
starts with the published incremental tables (staged events, accumulated interactions),
which then read only the raw files no earlier build loaded; every other model is rebuilt,
and every data test runs. The unit tests are skipped: they test the models' logic on fixed
inputs, and the project is the one the published build ran them on. Anything else, or
--full-refresh, builds from an empty file. A build with nothing to do does nothing
(learnmart.warehouse.plan says when).
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from learnmart.warehouse import dbt, failures, publish
from learnmart.warehouse.checks import check_as_of, check_request, check_selection
from learnmart.warehouse.errors import BuildEnvironmentError, BuildError
from learnmart.warehouse.inputs import (
    RawFile,
    build_fingerprint,
    changed_event_files,
    check_distinct_deliveries,
    inputs_fingerprint,
    raw_files,
    unit_tests_fingerprint,
    write_manifest,
)
from learnmart.warehouse.plan import PREDATES_INCREMENTAL, Kind, Plan, Published, Request, plan, read_published


@dataclass
class BuildResult:
    db: Path
    seconds: float
    models: int
    tests: int
    incremental: bool = False
    # nothing to do: the published file is what this build would publish (no dbt run)
    up_to_date: bool = False
    # when the published file was built (UTC; as int_build_context_resolved.built_at)
    built_at: dt.datetime | None = None
    # why a whole build ran instead of an incremental one ("" for incremental and --select)
    full_reason: str = ""
    # seconds per dbt node (model, seed, test) from dbt's run_results.json
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class Options:
    """What the caller asked for, besides the data folder and the target."""

    as_of: str | None = None  # UTC, normalised (checks.parse_as_of)
    select: str | None = None
    quiet: bool = False
    extra_vars: dict = field(default_factory=dict)
    threads: int | None = None
    memory_limit: str | None = None
    temp_dir: Path | None = None
    full_refresh: bool = False


@dataclass
class Work:
    """One build's work folder beside the target: dbt runs there and builds its file there."""

    folder: Path

    @property
    def db(self) -> Path:
        return self.folder / dbt.WAREHOUSE_NAME

    @property
    def manifest(self) -> Path:
        return self.folder / "raw_files.json"

    @property
    def run_results(self) -> Path:
        return self.folder / "target" / "run_results.json"


def _utc_now() -> dt.datetime:
    """The wall clock in UTC without an offset, as DuckDB's timestamps in the warehouse."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def run_build(
    data: Path,
    db: Path,
    as_of: str | None = None,
    select: str | None = None,
    quiet: bool = False,
    extra_vars: dict | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    temp_dir: Path | None = None,
    full_refresh: bool = False,
    skip_up_to_date: bool = True,
    warn: Callable[[str], None] | None = None,
) -> BuildResult:
    """Build the warehouse from ``data`` into ``db``; raises BuildError / BuildEnvironmentError.

    Incremental, up to date (nothing runs; ``skip_up_to_date`` False, for benchmarks, always
    builds), partial (``select``) or full: see learnmart.warehouse.plan. ``warn`` gets a line
    for what the build goes on despite (files it does not read).
    """
    data, db = data.resolve(), db.resolve()
    as_of_utc = check_request(data, db, as_of, select, memory_limit, temp_dir)
    options = Options(as_of_utc, select, quiet, extra_vars or {}, threads, memory_limit, temp_dir, full_refresh)
    with publish.build_lock(db):
        publish.clean_stale(db)
        started = dt.datetime.now(dt.UTC)
        files = raw_files(data, warn)
        check_distinct_deliveries(files)
        request = Request(
            fingerprint=build_fingerprint(data, as_of_utc, extra_vars),
            # a partial build (--select) may leave the file between two states: no inputs to match
            inputs="" if select else inputs_fingerprint(data, files),
            full_refresh=full_refresh,
            select=select,
            skip_up_to_date=skip_up_to_date,
        )
        published = Published() if full_refresh or select else read_published(db)
        chosen = plan(published, request, _utc_now())
        if chosen.kind is Kind.UP_TO_DATE:
            seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
            return BuildResult(db=db, seconds=seconds, models=0, tests=0, up_to_date=True, built_at=chosen.built_at)
        if chosen.kind is Kind.INCREMENTAL and (changed := changed_event_files(db, files)):
            raise BuildEnvironmentError(
                f"events file {', '.join(changed)} was loaded by an earlier build and has changed since: delivered "
                "files are append-only; run `learnmart build --full-refresh` to rebuild from the files present"
            )
        work = Work(db.parent / f".{db.name}.building-{os.getpid()}")
        work.folder.mkdir()
        try:
            return _build(data, db, work, files, request, chosen, published, options, started)
        finally:
            shutil.rmtree(work.folder, ignore_errors=True)


def _build(
    data: Path,
    db: Path,
    work: Work,
    files: list[RawFile],
    request: Request,
    chosen: Plan,
    published: Published,
    options: Options,
    started: dt.datetime,
) -> BuildResult:
    """Prepare the work file, run dbt on it, judge the run, publish: the build once planned."""
    write_manifest(files, work.manifest)
    chosen = _prepare(db, work, chosen, published)
    variables = {**({"as_of": options.as_of} if options.as_of else {}), **options.extra_vars}
    settings = {
        "DATA_DIR": str(data),
        "BUILT_AT": started.replace(tzinfo=None).isoformat(sep=" "),
        "BUILD_FINGERPRINT": request.fingerprint,
        "INPUTS_FINGERPRINT": request.inputs,
        "RAW_FILES_MANIFEST": str(work.manifest),
    }
    env = dbt.build_env(settings, options.threads, options.memory_limit, options.temp_dir)
    unit_tests = unit_tests_fingerprint(options.as_of, options.extra_vars)
    run_unit_tests = chosen.kind is not Kind.INCREMENTAL and not dbt.unit_tests_passed(unit_tests)
    command = _command(work, variables, chosen, options, run_unit_tests)
    proc = dbt.run_dbt(command, work.folder, env, variables, options.quiet)
    found = failures.dbt_failures(work.run_results, proc.returncode, proc.stderr or "")
    check_as_of(work.db, db, options.as_of)
    if found:
        _raise_failure(found, data, db, work, env)
    results = json.loads(work.run_results.read_text())["results"]
    check_selection(db, results, options.select)
    if chosen.kind is Kind.PARTIAL:
        publish.forget_inputs(work.db)
    publish.publish(work.db, db, data)
    if run_unit_tests and chosen.kind is Kind.FULL:
        dbt.record_unit_tests_passed(unit_tests)
    return BuildResult(
        db=db,
        seconds=(dt.datetime.now(dt.UTC) - started).total_seconds(),
        models=sum(1 for r in results if r["unique_id"].startswith("model.")),
        tests=sum(1 for r in results if r["unique_id"].startswith(("test.", "unit_test."))),
        incremental=chosen.kind is Kind.INCREMENTAL,
        timings={r["unique_id"]: float(r.get("execution_time") or 0.0) for r in results},
        full_reason=chosen.reason,
    )


def _prepare(db: Path, work: Work, chosen: Plan, published: Published) -> Plan:
    """The file dbt builds into: a copy of the published file (partial), its incremental
    tables alone (incremental), or nothing yet (full). Returns the plan as it stands: an
    incremental build whose tables cannot be carried over becomes a full one."""
    try:
        if chosen.kind is Kind.PARTIAL:
            # a partial or incremental build updates a copy, never the published file itself
            shutil.copyfile(db, work.db)
        elif chosen.kind is Kind.INCREMENTAL and not publish.carry_over_incremental_tables(
            db, work.db, published.incremental_tables
        ):
            return Plan(Kind.FULL, PREDATES_INCREMENTAL)
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise publish.disk_full_error(db) from None
        raise
    return chosen


def _command(work: Work, variables: dict, chosen: Plan, options: Options, unit_tests: bool) -> list[str]:
    """The dbt build command line for this plan; ``unit_tests`` False leaves them out."""
    cmd = dbt.dbt_command(["build"], work.folder, variables)
    if options.quiet:
        cmd += ["--log-level", "none"]  # its output would go to /dev/null
    if options.full_refresh:
        cmd += ["--full-refresh"]
    if options.select:
        # tests run only when every model they read was (re)built in this selection
        cmd += ["--select", options.select, "--indirect-selection", "cautious"]
    if not unit_tests:
        # an incremental build's fingerprint matched, so the project is byte for byte the one
        # the published build ran; otherwise a whole build of the same project, vars and
        # libraries passed on this machine (dbt.unit_tests_passed). Either way its unit tests
        # (fixed inputs, no data) passed and would pass again. The data tests all run.
        cmd += ["--exclude-resource-type", "unit_test"]
    return cmd


def _raise_failure(found: list[failures.Failure], data: Path, db: Path, work: Work, env: dict) -> None:
    """Raise the build's failure: exit 2 for the machine's or the raw files', else exit 1
    with the failed build's file kept for inspection beside the target."""
    limit = env.get("LEARNMART_MEMORY_LIMIT") or "75% of RAM (the default)"
    line = failures.environment_error(found, data, db, limit, publish.disk_full(db.parent))
    if line:
        raise BuildEnvironmentError(line)
    detail = "; ".join(f.line() for f in found)
    raise BuildError(detail + publish.keep_failed(work.db, db))
