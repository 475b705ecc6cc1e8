"""`learnmart build`: run `dbt build` into a new file and publish it only if everything passed.

Publishing is a rename over the target path: readers that have the old file open keep
reading it (the old inode lives until they close it), new readers see the new file, and
nobody ever sees a half-built one. A failed or killed build leaves the published file
untouched; its leftovers are cleaned up by the next build.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from learnmart.paths import project_dir

# The raw entities of the contract (dbt macro raw_contract has their columns).
RAW_ENTITIES = ("events", "courses", "users", "campaign_sends", "suppressions")


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


def find_raw_files(data: Path, entity: str) -> list[Path]:
    """The files that make up one raw entity in a data directory (file or folder)."""
    found: list[Path] = []
    for ext in ("parquet", "csv"):
        single = data / f"{entity}.{ext}"
        if single.is_file():
            found.append(single)
        folder = data / entity
        if folder.is_dir():
            found.extend(sorted(folder.glob(f"*.{ext}")))
    return found


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


def _dbt_executable() -> list[str]:
    exe = Path(sys.executable).parent / "dbt"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("dbt")
    if not found:
        raise BuildEnvironmentError("dbt is not installed in this environment (pip install dbt-duckdb)")
    return [found]


def _dbt_command(verb: list[str], work: Path, variables: dict) -> list[str]:
    """A dbt command line on learnmart's project, with target and logs kept in ``work``."""
    project = str(project_dir())
    return [
        *_dbt_executable(),
        *verb,
        *("--project-dir", project, "--profiles-dir", project),
        *("--target-path", str(work / "target"), "--log-path", str(work / "logs")),
        *("--vars", json.dumps(variables)),
    ]


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


def _essential_line(message: str) -> str:
    """The line of a dbt error message that says what went wrong, not where."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    if any(ln.startswith("Traceback") for ln in lines):
        return f"{lines[0]} {lines[-1]}"  # a Python model: where, then the exception itself
    skip = ("Compilation Error in", "Runtime Error in", "Database Error in", ">", "compiled code")
    useful = [ln for ln in lines if not ln.startswith(skip)]
    return (useful or lines or [""])[0]


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
) -> BuildResult:
    """Build the warehouse from ``data`` into ``db``; raises BuildError / BuildEnvironmentError."""
    data = data.resolve()
    db = db.resolve()
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
    db.parent.mkdir(parents=True, exist_ok=True)

    lock_path = db.parent / f".{db.name}.lock"
    lock = open(lock_path, "a+")  # noqa: SIM115 - held for the whole build
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildEnvironmentError(
                f"another build of {db} is running (lock {lock_path}); wait for it to finish"
            ) from None
        _clean_stale(db)
        work = db.parent / f".{db.name}.building-{os.getpid()}"
        work.mkdir()
        tmp_db = work / "warehouse.duckdb"
        if select and db.exists():
            # a partial build updates a copy of the published file, never the file itself
            shutil.copyfile(db, tmp_db)
        started = dt.datetime.now(dt.UTC)
        variables = {
            "data_dir": str(data),
            "built_at": started.replace(tzinfo=None).isoformat(sep=" "),
            **({"as_of": as_of_utc} if as_of_utc else {}),
            **(extra_vars or {}),
        }
        env = {
            **os.environ,
            "LEARNMART_DBT_PATH": str(tmp_db),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        if threads:
            env["LEARNMART_THREADS"] = str(threads)
        if memory_limit:
            env["LEARNMART_MEMORY_LIMIT"] = memory_limit
        if temp_dir:
            env["LEARNMART_TEMP_DIR"] = str(temp_dir.resolve())
        cmd = _dbt_command(["build"], work, variables)
        if select:
            # tests run only when every model they read was (re)built in this selection
            cmd += ["--select", select, "--indirect-selection", "cautious"]
        proc = subprocess.run(
            cmd,
            env=env,
            stdout=subprocess.DEVNULL if quiet else sys.stderr,
            stderr=subprocess.STDOUT if not quiet else subprocess.PIPE,
            text=True,
            check=False,
        )
        failures = _failures(work / "target" / "run_results.json")
        if proc.returncode != 0 or failures:
            if not failures:
                log = work / "logs" / "dbt.log"
                text = log.read_text(errors="replace") if log.exists() else ""
                tail = [ln.strip() for ln in text.splitlines() if "rror" in ln][-3:]
                failures = tail or [f"dbt exited with code {proc.returncode}"]
            detail = "; ".join(failures)
            unreadable = [f for f in failures if f.startswith("model.learnmart.base_raw__")]
            if unreadable and "No space left" not in detail:
                # the raw files themselves could not be read (encoding, broken CSV): exit 2
                entity = unreadable[0].split("base_raw__", 1)[1].split(":", 1)[0]
                message = unreadable[0].split(" - ", 1)[-1]
                shutil.rmtree(work, ignore_errors=True)
                hint = ""
                if "raw contract" not in message:
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
        # publish: make the new file durable, then rename it over the old one (atomic)
        with open(tmp_db, "rb+") as fh:
            os.fsync(fh.fileno())
        Path(f"{db}.wal").unlink(missing_ok=True)
        os.replace(tmp_db, db)
        dir_fd = os.open(db.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        shutil.rmtree(work, ignore_errors=True)
        seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
        return BuildResult(db=db, seconds=seconds, models=models, tests=tests)
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
        )
        if proc.returncode != 0:
            lines = [ln for ln in proc.stdout.splitlines() if "rror" in ln][-1:]
            raise BuildError("dbt docs generate failed" + (f": {lines[0].strip()}" if lines else ""))
        out.mkdir(parents=True, exist_ok=True)
        for name in ("index.html", "static_index.html", "manifest.json", "catalog.json"):
            if (work / "target" / name).exists():
                shutil.copyfile(work / "target" / name, out / name)
        return out / "static_index.html"
    finally:
        shutil.rmtree(work, ignore_errors=True)
