"""Running dbt for a build: its command line, its environment, and its parse cache."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from learnmart.paths import project_dir
from learnmart.warehouse.errors import BuildEnvironmentError

# the file dbt builds, relative to the build's work folder (dbt runs there)
WAREHOUSE_NAME = "warehouse.duckdb"
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
# the thread counts of the BLAS libraries numpy links: OpenBLAS (pip wheels), MKL (conda)
BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# prctl's option that sends a signal to a process when its parent dies (linux/prctl.h)
PR_SET_PDEATHSIG = 1


def dbt_command(verb: list[str], work: Path, variables: dict) -> list[str]:
    """A dbt command line on learnmart's project, with target kept in ``work`` and no log file.

    dbt runs through ``learnmart.warehouse.dbt_run``, which writes its errors to stderr: dbt
    formats every event for each log it writes, whatever its level, and drops most of them only then.
    """
    if importlib.util.find_spec("dbt") is None:
        raise BuildEnvironmentError("dbt is not installed in this environment (pip install dbt-duckdb)")
    project = str(project_dir())
    return [
        *(sys.executable, "-m", "learnmart.warehouse.dbt_run"),
        *verb,
        *("--project-dir", project, "--profiles-dir", project),
        *("--target-path", str(work / "target"), "--log-path", str(work / "logs")),
        *("--log-level-file", "none"),
        *("--vars", json.dumps(variables)),
    ]


def build_env(settings: dict[str, str], threads: int | None, memory_limit: str | None, temp_dir: Path | None) -> dict:
    """dbt's environment: this one, with the build's ``settings`` (LEARNMART_* names without
    the prefix) and the profile's options.

    What changes with every build goes in the environment, not in --vars, and the file path
    is relative to the work folder dbt runs in: both keep dbt's parse cache valid from one
    build to the next (macro build_setting).
    """
    env = {**os.environ, **{f"LEARNMART_{name}": value for name, value in settings.items()}}
    env["LEARNMART_DBT_PATH"] = WAREHOUSE_NAME
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    if threads:
        env["LEARNMART_THREADS"] = str(threads)
    # numpy's BLAS on one thread: the scoring kernel already runs its user batches on as many
    # threads as DuckDB uses, and a BLAS thread per core under each would oversubscribe the
    # cores (docs/operations.md, BLAS threads). A caller's setting wins.
    for name in BLAS_THREAD_VARS:
        env.setdefault(name, "1")
    if memory_limit:
        env["LEARNMART_MEMORY_LIMIT"] = memory_limit
    if temp_dir or env.get("LEARNMART_TEMP_DIR"):
        # dbt runs in the work folder: a relative spill folder means the caller's one
        env["LEARNMART_TEMP_DIR"] = str(Path(temp_dir or env["LEARNMART_TEMP_DIR"]).resolve())
    return env


def run_dbt(cmd: list[str], work: Path, env: dict, variables: dict, quiet: bool) -> subprocess.CompletedProcess:
    """Run ``cmd`` in ``work`` with the parse cache of these vars and profile; dbt's progress
    goes to stderr (nowhere when ``quiet``), and its errors are captured."""
    cache = parse_cache(variables, env)
    restore_parse_cache(cache, work / "target")
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
    save_parse_cache(cache, work / "target")
    return proc


def cache_dir() -> Path:
    """learnmart's folder in the user's cache ($LEARNMART_CACHE_DIR, $XDG_CACHE_HOME or ~/.cache)."""
    base = os.environ.get("LEARNMART_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "learnmart"


def unit_tests_passed(fingerprint: str) -> bool:
    """Whether a whole build of this unit-test fingerprint (learnmart.warehouse.inputs.
    unit_tests_fingerprint) passed on this machine: its unit tests, which read fixed inputs
    and no data, would pass again. dbt's advice is the same: run unit tests where the code
    changes, not in every production build."""
    return (cache_dir() / f"unit-tests-passed-{fingerprint}").exists()


def record_unit_tests_passed(fingerprint: str) -> None:
    try:
        cache_dir().mkdir(mode=0o700, parents=True, exist_ok=True)
        (cache_dir() / f"unit-tests-passed-{fingerprint}").touch()
    except OSError:
        pass  # a mark we cannot write only costs the next build its unit tests


def parse_cache(variables: dict, env: dict) -> Path:
    """Where dbt's parsed project is kept between builds: one file per project folder, vars
    and profile settings (so that builds with other vars do not overwrite each other's).

    dbt parses the whole project before running anything; with its partial_parse.msgpack
    from an earlier build it re-reads only what changed. dbt itself checks that the file
    still matches the project, vars, profile and its own version, and parses from scratch
    when it does not, so a stale cache costs time only.
    """
    profile = [env.get(f"LEARNMART_{name}") for name in ("THREADS", "MEMORY_LIMIT", "TEMP_DIR")]
    key = hashlib.sha256(json.dumps([str(project_dir()), variables, profile], sort_keys=True).encode())
    return cache_dir() / f"dbt-partial-parse-{key.hexdigest()[:16]}.msgpack"


def restore_parse_cache(cache: Path, target: Path) -> None:
    try:
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cache, target / PARTIAL_PARSE_FILE)
    except OSError:
        pass  # no cache yet, or not readable: dbt parses from scratch


def save_parse_cache(cache: Path, target: Path) -> None:
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
