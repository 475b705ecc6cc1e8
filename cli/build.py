"""`learnmart build`: run `dbt build` into a new file and publish it only if everything passed.

Publishing is a rename over the target path: readers that have the old file open keep
reading it (the old inode lives until they close it), new readers see the new file, and
nobody ever sees a half-built one. A failed or killed build leaves the published file
untouched; its leftovers are cleaned up by the next build.

Builds are incremental when they can be: if the published file was built from the same
data folder, as-of, vars, project and UDFs (its build fingerprint matches), the new file starts
with the published incremental tables (staged events, accumulated interactions), which then
read only the raw files no earlier build loaded; every other model is rebuilt, and every
data test runs. The unit tests are skipped: they test the models' logic on fixed inputs,
and the project is the one the published build ran them on. Anything else, or
--full-refresh, builds from an empty file.

A build with nothing to do does nothing: when the raw files, the salt and the libraries are
also those of the published build (its inputs fingerprint matches) and nothing in it
depends on the wall clock, the published file is what the build would publish again, and
it is left as it is.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from learnmart import __version__, udfs
from learnmart import raw_files as data_folder
from learnmart.paths import project_dir

# The incremental models (schema, name): an incremental build carries these tables over from
# the published file into a new one; everything else is rebuilt. A test keeps this in step
# with the models configured materialized='incremental'.
INCREMENTAL_TABLES = (("staging", "base_raw__events"), ("intermediate", "int_interactions_accumulated"))
# the file dbt builds, relative to the build's work folder (dbt runs there)
WAREHOUSE_NAME = "warehouse.duckdb"
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
# the thread counts of the BLAS libraries numpy links: OpenBLAS (pip wheels), MKL (conda)
BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# the source of the UDFs the models call (the top-level udfs/ folder of a checkout)
UDF_DIR = Path(udfs.__file__).resolve().parent
# the libraries whose version can change what a build computes (inputs_fingerprint)
ENGINE_PACKAGES = ("duckdb", "dbt-core", "dbt-duckdb", "numpy")


class BuildError(Exception):
    """The build ran and failed (exit 1): a model or test failed."""


class BuildEnvironmentError(Exception):
    """The build could not start (exit 2): bad arguments, missing data, lock held."""


@dataclass
class BuildResult:
    db: Path
    seconds: float
    models: int
    tests: int
    incremental: bool = False
    # nothing to do: the published file is what this build would publish (no dbt run)
    up_to_date: bool = False
    # when the published file was built (UTC; as int_build_context.built_at)
    built_at: dt.datetime | None = None
    # why a whole build ran instead of an incremental one ("" for incremental and --select)
    full_reason: str = ""
    # seconds per dbt node (model, seed, test) from dbt's run_results.json
    timings: dict[str, float] = field(default_factory=dict)


def build_fingerprint(data: Path, as_of: str | None, extra_vars: dict | None) -> str:
    """What an incremental build must share with the published file: the data folder, as-of,
    vars, learnmart's version, every project file (models, macros, tests and their fixtures,
    seeds, dbt_project.yml, profiles.yml) and the UDFs' source (the models call them): an
    incremental build skips the unit tests, so nothing they depend on may have changed."""
    digest = hashlib.sha256()
    settings = {"data": str(data), "as_of": as_of, "vars": extra_vars or {}, "version": __version__}
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    project = project_dir()
    # (file or folder, the folder its files are named relative to in the digest)
    names = ("dbt_project.yml", "profiles.yml", "models", "macros", "tests")
    sources = [(project / name, project.parent) for name in names]
    sources += [(project.parent / "seeds", project.parent), (UDF_DIR, UDF_DIR.parent)]
    for source, root in sources:
        files = [source] if source.is_file() else sorted(source.rglob("*"))
        for path in (p for p in files if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class RawFile:
    entity: str
    path: Path
    bytes: int
    sha256: str


def raw_files(data: Path, warn: Callable[[str], None] | None = None) -> list[RawFile]:
    """Every raw file in ``data`` with its size and SHA-256 (learnmart.raw_files.scan says which
    files; ``warn`` gets one line naming everything else in the folder). Files are read whole:
    a file re-delivered with the same bytes matches its earlier self, and one changed in
    place does not, whatever its time stamp says."""
    try:
        folder = data_folder.scan(data)
    except data_folder.RawFilesError as exc:
        raise BuildEnvironmentError(str(exc)) from None
    if folder.ignored and warn is not None:
        warn(_ignored_line(data, folder.ignored))
    found = []
    for entity, paths in folder.files.items():
        for path in paths:
            try:
                with open(path, "rb") as fh:
                    sha256 = hashlib.file_digest(fh, "sha256").hexdigest()
                found.append(RawFile(entity, path, path.stat().st_size, sha256))
            except OSError as exc:
                raise BuildEnvironmentError(f"cannot read the {entity} file {path}: {exc.strerror}") from None
    return found


def _ignored_line(data: Path, ignored: list[Path], shown: int = 10) -> str:
    """One line naming what the data folder holds besides raw files (at most ``shown`` of them)."""
    names = [str(path.relative_to(data)) + ("/" if path.is_dir() else "") for path in ignored]
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return (
        f"{len(names)} entries in {data} are not raw data by their names and were not read "
        f"(docs/raw_contract.md, Files): {', '.join(names[:shown])}{more}"
    )


def check_distinct_deliveries(files: list[RawFile]) -> None:
    """Refuse two files of one entity with the same bytes: the same delivery under two names
    would count its rows twice (events without an event_id cannot be told apart). Files
    with no rows (empty, or a header alone) may repeat: they add nothing."""
    first: dict[tuple[str, str], RawFile] = {}
    for file in files:
        earlier = first.setdefault((file.entity, file.sha256), file)
        if earlier is not file and _has_rows(file.path):
            raise BuildEnvironmentError(
                f"{file.entity} files {earlier.path} and {file.path} have the same bytes: one delivery under two "
                "names would be counted twice; remove one of them and build again"
            )


def _has_rows(path: Path) -> bool:
    """Whether a raw file holds any row (True when DuckDB cannot tell: treat it as data)."""
    import duckdb

    if path.stat().st_size == 0:
        return False
    literal = data_folder.sql_path(path)
    sql = (
        f"select num_rows > 0 from parquet_file_metadata({literal})"
        if data_folder.data_suffix(path.name) == ".parquet"
        else f"select count(*) > 0 from read_csv({literal}, header = true, all_varchar = true, parallel = false)"
    )
    try:
        with duckdb.connect() as con:
            return bool(con.execute(sql).fetchone()[0])
    except duckdb.Error:
        return True


def _installed_version(package: str) -> str | None:
    """The package's version; None when it is not installed (the build then says what is missing)."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def inputs_fingerprint(data: Path, files: list[RawFile] | None = None) -> str:
    """What a build reads besides the project and its settings (build_fingerprint): the name
    and bytes of every raw file (``files``, default raw_files(data)), the PII salt, and the
    versions of Python and of the libraries that compute the tables."""
    digest = hashlib.sha256()
    settings = {
        "python": sys.version,
        "packages": {name: _installed_version(name) for name in ENGINE_PACKAGES},
        "salt": hashlib.sha256(os.environ.get("LEARNMART_SALT", "").encode()).hexdigest(),
    }
    digest.update(json.dumps(settings, sort_keys=True).encode())
    for file in raw_files(data) if files is None else files:
        digest.update(f"{file.path.relative_to(data)}\0{file.sha256}\0".encode())
    return digest.hexdigest()[:16]


def _changed_event_files(db: Path, files: list[RawFile]) -> list[str]:
    """The events files the published build loaded whose bytes differ now (its manifest,
    staging.base_raw__files, against ``files``): an incremental build would not read them."""
    import duckdb

    try:
        with duckdb.connect(str(db), read_only=True) as con:
            loaded = con.execute("select file, sha256 from staging.base_raw__files where entity = 'events'").fetchall()
    except duckdb.Error:
        return []  # built before the manifest existed: nothing to compare with
    now = {str(file.path): file.sha256 for file in files}
    return sorted(path for path, sha256 in loaded if path in now and now[path] != sha256)


def _write_manifest(files: list[RawFile], path: Path) -> None:
    """The raw files' manifest that model base_raw__files reads ($LEARNMART_RAW_FILES_MANIFEST)."""
    rows = [{"entity": f.entity, "file": str(f.path), "bytes": f.bytes, "sha256": f.sha256} for f in files]
    path.write_text(json.dumps(rows))


def _up_to_date(db: Path, fingerprint: str, inputs: str) -> dt.datetime | None:
    """When the published file was built, if building again would publish what it holds: the
    same build and inputs fingerprints, and nothing that depends on the wall clock.

    Two verdicts do: the as-of time is the wall clock when no event was accepted, and a
    campaign send is rejected as future_timestamp against the build's time (events are
    not: their verdicts are kept from the build that first read their file). None when
    the file must be built, or cannot be read as a learnmart build.
    """
    if not inputs or not db.exists():
        return None
    import duckdb

    try:
        with duckdb.connect(str(db), read_only=True) as con:
            context = con.execute(
                "select build_fingerprint, inputs_fingerprint, last_event_at, built_at "
                "from intermediate.int_build_context"
            ).fetchall()
            sends_due = con.execute(
                "select count(*) from staging.base_raw__campaign_sends "
                "where reject_reason = 'future_timestamp' and sent_at <= timezone('UTC', current_timestamp)"
            ).fetchone()[0]
    except duckdb.Error:
        return None  # not a learnmart build, or one from before the inputs fingerprint
    if len(context) != 1 or sends_due:
        return None
    published, published_inputs, last_event_at, built_at = context[0]
    if published != fingerprint or published_inputs != inputs or last_event_at is None:
        return None
    return built_at


def _full_reason(db: Path, full_refresh: bool, select: str | None, published: str | None, fingerprint: str) -> str:
    """Why this build cannot be incremental, in a few words ("" when it can, or is partial)."""
    if select:
        return ""
    if full_refresh:
        return "--full-refresh"
    if not db.exists():
        return "no published file yet"
    if published is None:
        return "the published file has no build fingerprint (built by dbt directly or by an older learnmart)"
    if published != fingerprint:
        return "the data folder, as-of, vars, project, UDFs or profile differ from the published build's"
    return ""


def _forget_inputs(db: Path) -> None:
    """After a partial build (--select): the file may now hold tables built from other files
    or another project than its int_build_context says, so no build may find it up to date."""
    import duckdb

    with duckdb.connect(str(db)) as con:
        has_column = con.execute(
            "select count(*) from information_schema.columns where table_schema = 'intermediate' "
            "and table_name = 'int_build_context' and column_name = 'inputs_fingerprint'"
        ).fetchone()[0]
        if has_column:
            con.execute("update intermediate.int_build_context set inputs_fingerprint = ''")


def _carry_over_incremental_tables(published: Path, new: Path) -> bool:
    """A new file holding only the published file's incremental tables (their state).

    The published file is copied whole and everything else dropped from the copy: a file
    copy moves the tables' compressed blocks as they are, where copying them row by row
    through SQL compressed them again (at 200k users, 5M events: 4.5 s against about 1 s).
    The dropped tables' space is reused by the build's new tables.

    False (and no new file) when the published file lacks one of them: build from scratch.
    """
    import duckdb

    try:
        shutil.copyfile(published, new)
        with duckdb.connect(str(new)) as con:
            objects = con.execute(
                "select table_schema, table_name, table_type from information_schema.tables "
                "where table_catalog = current_database()"
            ).fetchall()
            if not set(INCREMENTAL_TABLES) <= {(schema, name) for schema, name, _ in objects}:
                raise duckdb.CatalogException("the published file predates an incremental model")
            for schema, name, kind in objects:
                if (schema, name) not in INCREMENTAL_TABLES:
                    what = "view" if kind == "VIEW" else "table"
                    con.execute(f'drop {what} if exists "{schema}"."{name}" cascade')
            con.execute("checkpoint")
    except (duckdb.Error, OSError) as exc:
        new.unlink(missing_ok=True)
        Path(f"{new}.wal").unlink(missing_ok=True)
        if "No space left on device" in str(exc):
            raise OSError(errno.ENOSPC, str(exc).splitlines()[0]) from None
        if isinstance(exc, duckdb.CatalogException):
            return False  # the published file predates one of the incremental models
        raise
    return True


def _published_fingerprint(db: Path) -> str | None:
    """The fingerprint the published file was built with (None: no file, or not readable)."""
    if not db.exists():
        return None
    import duckdb

    try:
        with duckdb.connect(str(db), read_only=True) as con:
            row = con.execute("select build_fingerprint from intermediate.int_build_context").fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


# prctl's option that sends a signal to a process when its parent dies (linux/prctl.h)
PR_SET_PDEATHSIG = 1
# bytes 8..12 of every DuckDB database file
DUCKDB_MAGIC = b"DUCK"


def check_target(db: Path, data: Path) -> None:
    """Refuse a --db that publishing could destroy or corrupt, before anything is written.

    A build publishes over nothing, or over a learnmart warehouse (a DuckDB file with the
    build context) that no process has open for writing; never inside the data folder.
    """
    if db == data or db.is_relative_to(data):
        raise BuildEnvironmentError(f"--db {db} is inside the data folder {data}: write the warehouse elsewhere")
    for parent in (db.parent, *db.parent.parents):
        if parent.exists():
            if not parent.is_dir():
                raise BuildEnvironmentError(f"--db {db}: {parent} is not a directory")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise BuildEnvironmentError(f"--db {db}: cannot create files in {parent} (permission denied)")
            break
    if os.path.lexists(f"{db}.wal"):
        raise BuildEnvironmentError(
            f"{db} has a write-ahead log ({db}.wal): a process has it open for writing, or one crashed while "
            "writing; close it (or open it once with duckdb to checkpoint) and build again. Nothing was changed"
        )
    if not os.path.lexists(db):
        return
    if db.is_dir():
        raise BuildEnvironmentError(f"--db {db} is a directory: name a file for the warehouse")
    if not db.is_file():
        raise BuildEnvironmentError(f"--db {db} is not a regular file: learnmart publishes only over its own warehouse")
    _check_warehouse(db)


def _check_warehouse(db: Path) -> None:
    """``db`` is a learnmart warehouse that no other process holds open for writing."""
    import duckdb

    keep = f"; {db} was left as it was. Choose another --db, or move the file away"
    try:
        with open(db, "rb") as fh:
            header = fh.read(12)
    except OSError as exc:
        raise BuildEnvironmentError(f"cannot read --db {db}: {exc.strerror}") from None
    if header[8:12] != DUCKDB_MAGIC:
        raise BuildEnvironmentError(f"--db {db} is not a DuckDB file, so not a learnmart warehouse{keep}")
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            con.execute("select build_fingerprint from intermediate.int_build_context").fetchall()
    except duckdb.CatalogException:
        raise BuildEnvironmentError(f"--db {db} is a DuckDB file but not a learnmart warehouse{keep}") from None
    except duckdb.Error as exc:
        text = str(exc).splitlines()[0]
        if "lock" in text.lower():
            raise BuildEnvironmentError(
                f"{db} is open for writing by another process ({text}); close it and build again. Nothing was changed"
            ) from None
        raise BuildEnvironmentError(f"cannot open --db {db} ({text}){keep}") from None


def find_raw_files(data: Path, entity: str) -> list[Path]:
    """The files that make up one raw entity in a data directory (learnmart.raw_files.scan)."""
    try:
        return data_folder.find(data, entity)
    except data_folder.RawFilesError as exc:
        raise BuildEnvironmentError(str(exc)) from None


def parse_as_of(text: str | None) -> str | None:
    """Validate --as-of (ISO-8601; no offset means UTC); returns it normalised to UTC."""
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BuildEnvironmentError(
            f"--as-of {text!r} is not an ISO-8601 timestamp (e.g. 2026-06-30 or 2026-06-30T12:00:00Z)"
        ) from None
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(sep=" ")


def _dbt_command(verb: list[str], work: Path, variables: dict) -> list[str]:
    """A dbt command line on learnmart's project, with target kept in ``work`` and no log file.

    dbt runs through ``learnmart.cli.dbt_run``, which writes its errors to stderr: dbt formats
    every event for each log it writes, whatever its level, and drops most of them only then.
    """
    if importlib.util.find_spec("dbt") is None:
        raise BuildEnvironmentError("dbt is not installed in this environment (pip install dbt-duckdb)")
    project = str(project_dir())
    return [
        *(sys.executable, "-m", "learnmart.cli.dbt_run"),
        *verb,
        *("--project-dir", project, "--profiles-dir", project),
        *("--target-path", str(work / "target"), "--log-path", str(work / "logs")),
        *("--log-level-file", "none"),
        *("--vars", json.dumps(variables)),
    ]


def _parse_cache(variables: dict, env: dict) -> Path:
    """Where dbt's parsed project is kept between builds: one file per project folder, vars
    and profile settings (so that builds with other vars do not overwrite each other's).

    dbt parses the whole project before running anything (5-10 s here); with its
    partial_parse.msgpack from an earlier build it re-reads only what changed (2-4 s).
    dbt itself checks that the file still matches the project, vars, profile and its own
    version, and parses from scratch when it does not, so a stale cache costs time only.
    """
    base = os.environ.get("LEARNMART_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    profile = [env.get(f"LEARNMART_{name}") for name in ("THREADS", "MEMORY_LIMIT", "TEMP_DIR")]
    key = hashlib.sha256(json.dumps([str(project_dir()), variables, profile], sort_keys=True).encode())
    return Path(base) / "learnmart" / f"dbt-partial-parse-{key.hexdigest()[:16]}.msgpack"


def _restore_parse_cache(cache: Path, target: Path) -> None:
    try:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cache, target / PARTIAL_PARSE_FILE)
    except OSError:
        pass  # no cache yet, or not readable: dbt parses from scratch


def _save_parse_cache(cache: Path, target: Path) -> None:
    parsed = target / PARTIAL_PARSE_FILE
    if not parsed.exists():
        return
    try:
        cache.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        partial = cache.with_name(f"{cache.name}.{os.getpid()}")
        shutil.copyfile(parsed, partial)
        os.chmod(partial, 0o600)  # the project's parsed SQL and settings: the user's alone
        os.replace(partial, cache)  # concurrent builds of other files never see half a cache
    except OSError:
        pass  # a cache we cannot write only costs the next build its parse time


def _clean_stale(db: Path) -> None:
    """Remove what killed builds left behind; only called while holding the build lock."""
    for leftover in db.parent.glob(f".{db.name}.building-*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


def _disk_full(folder: Path, needed: int = 1 << 20) -> bool:
    try:
        return shutil.disk_usage(folder).free < needed
    except OSError:
        return False


def _failures(run_results: Path) -> list[str]:
    if not run_results.exists():
        return []
    results = json.loads(run_results.read_text())["results"]
    lines = []
    for r in results:
        if r["status"] in ("error", "fail", "runtime error"):
            detail = _essential_line(r.get("message") or "")
            lines.append(f"{r['unique_id']}: {r['status']}" + (f" - {detail}" if detail else ""))
    return lines


def _last_error(stderr: str) -> list[str]:
    """The last error dbt wrote to stderr (e.g. a parsing error and its first detail line), if any."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    marks = [i for i, ln in enumerate(lines) if "Error" in ln]
    if not marks:
        return []
    i = marks[-1]
    return [" ".join(lines[i : i + 2])]


def _essential_line(message: str) -> str:
    """The line of a dbt error message that says what went wrong, not where."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    if any(ln.startswith("Traceback") for ln in lines):
        return f"{lines[0]} {lines[-1]}"  # a Python model: where, then the exception itself
    skip = ("Compilation Error in", "Runtime Error in", "Database Error in", ">", "compiled code")
    useful = [ln for ln in lines if not ln.startswith(skip)]
    line = (useful or lines or [""])[0]
    # DuckDB's CSV errors name the file on a line of their own ("file = ..."), after the error
    named = [ln.split("=", 1)[1].strip() for ln in lines if ln.startswith("file =")]
    if named and named[0] not in line:
        line += f" (file {named[0]})"
    return line


def _check_request(
    data: Path, db: Path, as_of: str | None, select: str | None, memory_limit: str | None, temp_dir: Path | None
) -> str | None:
    """Refuse a build that cannot work before anything is written; returns --as-of in UTC."""
    if not data.is_dir():
        raise BuildEnvironmentError(f"--data {data} is not a directory")
    if not find_raw_files(data, "events"):
        raise BuildEnvironmentError(
            f"no events in {data}: expected events.parquet, events.csv or a folder events/ of them"
        )
    as_of_utc = parse_as_of(as_of)
    if select and not db.exists():
        raise BuildEnvironmentError(
            f"--select updates part of an existing warehouse, and {db} does not exist: run a full build first"
        )
    check_memory_limit(memory_limit)
    check_temp_dir(temp_dir)
    check_target(db, data)
    return as_of_utc


def check_memory_limit(limit: str | None) -> None:
    """--memory-limit (or $LEARNMART_MEMORY_LIMIT) is a size DuckDB takes; dbt would fail every model."""
    name = "--memory-limit" if limit else "LEARNMART_MEMORY_LIMIT"
    limit = limit or os.environ.get("LEARNMART_MEMORY_LIMIT")
    if not limit:
        return
    import duckdb

    quoted = limit.replace("'", "''")
    try:
        with duckdb.connect() as con:
            con.execute(f"set memory_limit = '{quoted}'")
    except duckdb.Error:
        raise BuildEnvironmentError(
            f"{name} {limit!r} is not a memory size DuckDB understands (e.g. 4GB, 512MB or 75%)"
        ) from None


def check_temp_dir(temp_dir: Path | None) -> None:
    """--temp-dir (or $LEARNMART_TEMP_DIR) is a folder DuckDB can create and write in when it spills."""
    name = "--temp-dir" if temp_dir else "LEARNMART_TEMP_DIR"
    text = str(temp_dir or os.environ.get("LEARNMART_TEMP_DIR") or "")
    if not text:
        return
    folder = Path(text).resolve()
    existing = next(path for path in (folder, *folder.parents) if path.exists())
    if not existing.is_dir():
        raise BuildEnvironmentError(f"{name} {folder}: {existing} is not a directory")
    try:  # a folder made and removed at once: the only sure test on /proc, /sys or a read-only mount
        os.rmdir(tempfile.mkdtemp(prefix=".learnmart-probe-", dir=existing))
    except OSError as exc:
        raise BuildEnvironmentError(f"{name} {folder}: cannot create folders in {existing} ({exc.strerror})") from None


def _check_selection(db: Path, results: list[dict], select: str | None) -> None:
    """A --select build that ran nothing would only republish the file: refuse it."""
    if select and not results:
        raise BuildEnvironmentError(
            f"--select {select!r} matches no model, seed or test; {db} was left as it was (`dbt ls` lists them)"
        )


def _check_as_of(tmp_db: Path, db: Path, as_of: str | None) -> None:
    """Refuse an --as-of before every accepted event: its window is empty, so the build would
    score nobody (and some of its tests fail for it). Checked whether or not dbt passed."""
    if not as_of or not tmp_db.exists():
        return
    import duckdb

    try:
        with duckdb.connect(str(tmp_db), read_only=True) as con:
            first = con.execute("select min(event_ts) from staging.stg_raw__events").fetchone()[0]
    except duckdb.Error:
        return  # staging was not built (a --select build, or it failed): nothing to judge by
    if first is not None and dt.datetime.fromisoformat(as_of) < first:
        raise BuildEnvironmentError(
            f"--as-of {as_of} is before every accepted event (the first is at {first:%Y-%m-%d %H:%M:%S} UTC): "
            f"the build would score nobody; {db} was left as it was"
        )


def die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn that makes the child (dbt) get SIGKILL when learnmart dies, however it dies
    (Linux's PR_SET_PDEATHSIG): a killed build leaves no dbt running, holding its files."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    import signal

    libc = ctypes.CDLL(None, use_errno=True)  # loaded here: a preexec_fn should do little
    parent = os.getpid()

    def preexec() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # learnmart died before prctl took effect
            os._exit(1)

    return preexec


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

    Incremental (starting from a copy of the published file) when the published file has
    this build's fingerprint and ``full_refresh`` is not set; nothing at all when it is also
    up to date (and ``skip_up_to_date``, for benchmarks, is not turned off); see the module
    docstring. ``warn`` gets a line for what the build goes on despite (files it does not read).
    """
    data = data.resolve()
    db = db.resolve()
    as_of_utc = _check_request(data, db, as_of, select, memory_limit, temp_dir)
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        lock_path = db.parent / f".{db.name}.lock"
        lock = open(lock_path, "a+")  # noqa: SIM115 - held for the whole build
    except OSError as exc:
        raise BuildEnvironmentError(f"--db {db}: cannot create files in {db.parent} ({exc.strerror})") from None
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildEnvironmentError(
                f"another build of {db} is running (lock {lock_path}); wait for it to finish"
            ) from None
        _clean_stale(db)
        started = dt.datetime.now(dt.UTC)
        fingerprint = build_fingerprint(data, as_of_utc, extra_vars)
        files = raw_files(data, warn)
        check_distinct_deliveries(files)
        # a partial build (--select) may leave the file between two states: no inputs to match
        inputs = "" if select else inputs_fingerprint(data, files)
        if skip_up_to_date and not full_refresh and (built_at := _up_to_date(db, fingerprint, inputs)):
            seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
            return BuildResult(db=db, seconds=seconds, models=0, tests=0, up_to_date=True, built_at=built_at)
        published = None if full_refresh or select else _published_fingerprint(db)
        incremental = published == fingerprint
        full_reason = _full_reason(db, full_refresh, select, published, fingerprint)
        if incremental and (changed := _changed_event_files(db, files)):
            raise BuildEnvironmentError(
                f"events file {', '.join(changed)} was loaded by an earlier build and has changed since: delivered "
                "files are append-only; run `learnmart build --full-refresh` to rebuild from the files present"
            )
        work = db.parent / f".{db.name}.building-{os.getpid()}"
        work.mkdir()
        tmp_db = work / WAREHOUSE_NAME
        manifest = work / "raw_files.json"
        _write_manifest(files, manifest)
        if select or incremental:
            # a partial or incremental build updates a copy, never the published file itself
            try:
                if select:
                    shutil.copyfile(db, tmp_db)
                else:
                    incremental = _carry_over_incremental_tables(db, tmp_db)
                    if not incremental:
                        full_reason = "the published file predates one of the incremental models"
            except OSError as exc:
                shutil.rmtree(work, ignore_errors=True)
                if exc.errno == errno.ENOSPC:
                    raise BuildEnvironmentError(
                        f"the disk holding {db.parent} is full; {db} was left as it was. Free space and build again"
                    ) from None
                raise
        variables = {**({"as_of": as_of_utc} if as_of_utc else {}), **(extra_vars or {})}
        env = {
            **os.environ,
            # what changes with every build goes in the environment, not in --vars, and the
            # file path is relative to the work folder dbt runs in: both keep dbt's parse
            # cache valid from one build to the next (macro build_setting)
            "LEARNMART_DATA_DIR": str(data),
            "LEARNMART_BUILT_AT": started.replace(tzinfo=None).isoformat(sep=" "),
            "LEARNMART_BUILD_FINGERPRINT": fingerprint,
            "LEARNMART_INPUTS_FINGERPRINT": inputs,
            "LEARNMART_RAW_FILES_MANIFEST": str(manifest),
            "LEARNMART_DBT_PATH": WAREHOUSE_NAME,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        if threads:
            env["LEARNMART_THREADS"] = str(threads)
        # numpy's BLAS (OpenBLAS in the wheels) on one thread: the scoring kernel runs its
        # user batches on as many threads as DuckDB uses, and a BLAS thread per core under
        # each of them, or beside the models DuckDB runs side by side, only oversubscribes
        # the cores. At 200k users on 2 cores the kernel took 1.3-1.5 s with one BLAS thread
        # and 2 batch threads, 1.9-2.2 s with BLAS's default. A caller's setting wins.
        for name in BLAS_THREAD_VARS:
            env.setdefault(name, "1")
        if memory_limit:
            env["LEARNMART_MEMORY_LIMIT"] = memory_limit
        if temp_dir or env.get("LEARNMART_TEMP_DIR"):
            # dbt runs in the work folder: a relative spill folder means the caller's one
            env["LEARNMART_TEMP_DIR"] = str(Path(temp_dir or env["LEARNMART_TEMP_DIR"]).resolve())
        cmd = _dbt_command(["build"], work, variables)
        if quiet:
            cmd += ["--log-level", "none"]  # its output would go to /dev/null
        if full_refresh:
            cmd += ["--full-refresh"]
        if select:
            # tests run only when every model they read was (re)built in this selection
            cmd += ["--select", select, "--indirect-selection", "cautious"]
        if incremental:
            # the fingerprint matched, so the project is byte for byte the one the published
            # build ran: its unit tests (fixed inputs, no data) passed there and would pass
            # again. The data tests all run: the data changed.
            cmd += ["--exclude-resource-type", "unit_test"]
        parse_cache = _parse_cache(variables, env)
        _restore_parse_cache(parse_cache, work / "target")
        proc = subprocess.run(
            cmd,
            cwd=work,
            env=env,
            stdout=subprocess.DEVNULL if quiet else sys.stderr,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
            preexec_fn=die_with_parent(),
        )
        _save_parse_cache(parse_cache, work / "target")
        failures = _failures(work / "target" / "run_results.json")
        try:
            _check_as_of(tmp_db, db, as_of_utc)
        except BuildEnvironmentError:
            shutil.rmtree(work, ignore_errors=True)
            raise
        if proc.returncode != 0 or failures:
            if not failures:
                failures = _last_error(proc.stderr or "") or [f"dbt exited with code {proc.returncode}"]
            detail = "; ".join(failures)
            out_of_memory = [f for f in failures if "Out of Memory Error" in f]
            if out_of_memory and "No space left" not in detail:
                # the machine's limit, not the data: whichever model hit it (a raw file's
                # base model too) says nothing about its input; a spill onto a full disk
                # is the full-disk case below
                shutil.rmtree(work, ignore_errors=True)
                node, _, message = out_of_memory[0].partition(": ")
                limit = env.get("LEARNMART_MEMORY_LIMIT") or "75% of RAM (the default)"
                raise BuildEnvironmentError(
                    f"the build ran out of memory in {node.rsplit('.', 1)[-1]} under memory_limit {limit} "
                    f"({message.split('Out of Memory Error: ', 1)[-1]}); {db} was left as it was. "
                    "Raise --memory-limit, or build with fewer --threads"
                )
            unreadable = [f for f in failures if f.startswith("model.learnmart.base_raw__")]
            if unreadable and "No space left" not in detail:
                # the raw files themselves could not be read (encoding, broken CSV): exit 2
                entity = unreadable[0].split("base_raw__", 1)[1].split(":", 1)[0]
                message = unreadable[0].split(" - ", 1)[-1]
                shutil.rmtree(work, ignore_errors=True)
                hint = ""
                if not any(own in message for own in ("raw contract", "full-refresh", "twice in its header")):
                    hint = " (fix or re-export the file: CSV files must be UTF-8 with a header row)"
                raise BuildEnvironmentError(f"cannot read the {entity} file(s) in {data}: {message}{hint}")
            if "No space left on device" in detail or _disk_full(db.parent):
                shutil.rmtree(work, ignore_errors=True)
                raise BuildEnvironmentError(
                    f"the disk holding {db.parent} is full; {db} was left as it was. Free space and build again"
                )
            # keep the failed warehouse so the failing rows can be inspected, beside the target
            kept = ""
            if tmp_db.exists():
                failed = db.with_name(f"{db.stem}.failed{db.suffix}")
                os.replace(tmp_db, failed)
                kept = f" (the failed build is kept for inspection in {failed})"
            shutil.rmtree(work, ignore_errors=True)
            raise BuildError(detail + kept)
        results = json.loads((work / "target" / "run_results.json").read_text())["results"]
        models = sum(1 for r in results if r["unique_id"].startswith("model."))
        tests = sum(1 for r in results if r["unique_id"].startswith(("test.", "unit_test.")))
        try:
            _check_selection(db, results, select)
        except BuildEnvironmentError:
            shutil.rmtree(work, ignore_errors=True)
            raise
        if select:
            _forget_inputs(tmp_db)
        # publish: make the new file durable, then rename it over the old one (atomic)
        with open(tmp_db, "rb+") as fh:
            os.fsync(fh.fileno())
        try:
            check_target(db, data)  # a writer may have opened the file while dbt ran
        except BuildEnvironmentError:
            shutil.rmtree(work, ignore_errors=True)
            raise
        os.replace(tmp_db, db)
        dir_fd = os.open(db.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        shutil.rmtree(work, ignore_errors=True)
        seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
        timings = {r["unique_id"]: float(r.get("execution_time") or 0.0) for r in results}
        return BuildResult(
            db=db,
            seconds=seconds,
            models=models,
            tests=tests,
            incremental=incremental,
            timings=timings,
            full_reason=full_reason,
        )
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)
        lock.close()


def generate_docs(db: Path, out: Path, data: Path | None = None) -> Path:
    """dbt docs (manifest and catalog) for the warehouse in ``db``, as a static site in ``out``."""
    import duckdb

    db = db.resolve()
    if not db.exists():
        raise BuildEnvironmentError(f"no database at {db}: run `learnmart build --data DIR` first")
    if data is None:
        with duckdb.connect(str(db), read_only=True) as con:
            data = Path(con.execute("select data_dir from intermediate.int_model_parameters").fetchone()[0])
    if not find_raw_files(data, "events"):
        raise BuildEnvironmentError(f"the build's data folder {data} is gone; pass --data DIR")
    work = Path(tempfile.mkdtemp(prefix="learnmart-docs-"))
    try:
        copy = work / "warehouse.duckdb"
        shutil.copyfile(db, copy)  # dbt opens its file for writing; the published one stays untouched
        env = {**os.environ, "LEARNMART_DBT_PATH": str(copy), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        proc = subprocess.run(
            _dbt_command(["docs", "generate", "--static"], work, {"data_dir": str(data)}),
            env=env,
            capture_output=True,
            text=True,
            check=False,
            preexec_fn=die_with_parent(),
        )
        if proc.returncode != 0:
            lines = _last_error(proc.stderr)
            raise BuildError("dbt docs generate failed" + (f": {lines[0]}" if lines else ""))
        out.mkdir(parents=True, exist_ok=True)
        for name in ("index.html", "static_index.html", "manifest.json", "catalog.json"):
            if (work / "target" / name).exists():
                shutil.copyfile(work / "target" / name, out / name)
        return out / "static_index.html"
    finally:
        shutil.rmtree(work, ignore_errors=True)
