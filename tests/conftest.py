"""Shared fixtures: small generated data sets and warehouses built from them once per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from learnmart.datagen import GeneratorConfig, generate

from learnmart.warehouse.engine import run_build

REPO = Path(__file__).resolve().parent.parent
LEARNMART = [str(Path(sys.executable).parent / "learnmart")]


def pytest_addoption(parser):
    parser.addoption("--runslow", action="store_true", help="also run larger-scale tests")


# The test files that build the most warehouses, heaviest first: `make test` hands whole
# files to its workers in collection order (--no-loadscope-reorder), so starting these
# first lets the workers finish together instead of one waiting on the other's last build.
HEAVIEST_FIRST = (
    "test_build.py",
    "test_reliability.py",
    "test_incremental.py",
    "test_marketing.py",
    "test_recommender_parity.py",
    "test_raw_files.py",
    "test_recommendations.py",
    "test_fuzz_raw.py",
    "test_real_data_symptoms.py",
    "test_staging.py",
    "test_report.py",
    "test_segmentation.py",
    "test_oulad_adapter.py",
)


def pytest_collection_modifyitems(config, items):
    def weight(item) -> int:
        name = item.path.name
        return HEAVIEST_FIRST.index(name) if name in HEAVIEST_FIRST else len(HEAVIEST_FIRST)

    items.sort(key=weight)  # stable: each file's tests keep their order
    if config.getoption("--runslow"):
        return
    skip = pytest.mark.skip(reason="larger-scale test: run with --runslow (make test-all)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def parse_cache(tmp_path_factory) -> Iterator[Path]:
    """dbt's parse cache for this session's builds (shared by them, not the user's own)."""
    cache = tmp_path_factory.mktemp("parse_cache")
    previous = os.environ.get("LEARNMART_CACHE_DIR")
    os.environ["LEARNMART_CACHE_DIR"] = str(cache)
    yield cache
    if previous is None:
        os.environ.pop("LEARNMART_CACHE_DIR", None)
    else:
        os.environ["LEARNMART_CACHE_DIR"] = previous


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> Path:
    """A small but complete generated data set (with malformed rows)."""
    out = tmp_path_factory.mktemp("demo_data")
    generate(out, GeneratorConfig(users=1500, courses=120, seed=7, malformed_share=0.004))
    return out


@pytest.fixture(scope="session")
def demo_db(demo_data, tmp_path_factory) -> Path:
    """A warehouse built from demo_data; treat it as read-only."""
    db = tmp_path_factory.mktemp("demo_db") / "learnmart.duckdb"
    run_build(demo_data, db, quiet=True)
    return db


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 600):
    """Run the installed `learnmart` console script as a subprocess."""
    return subprocess.run(
        [*LEARNMART, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


def run_dbt(*args: str, db: Path, work: Path) -> subprocess.CompletedProcess:
    """The `dbt` script in dbt_project on `db`, as docs/operations.md runs it, with its target and logs in `work`."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), *args, "--profiles-dir", "."],
        cwd=REPO / "dbt_project",
        env={**os.environ, "LEARNMART_DBT_PATH": str(db), "DBT_TARGET_PATH": str(work), "DBT_LOG_PATH": str(work)},
        capture_output=True,
        text=True,
        check=False,
    )


def copy_project(dst: Path) -> Path:
    """A scratch copy of the dbt project (and seeds) to break on purpose."""
    shutil.copytree(REPO / "dbt_project", dst / "dbt_project", ignore=shutil.ignore_patterns("target", "logs"))
    if (REPO / "seeds").exists():
        shutil.copytree(REPO / "seeds", dst / "seeds")
    return dst / "dbt_project"


def storage_version(db: Path) -> str:
    """The DuckDB storage version a file is written in ('v1.4.0+': DuckDB 1.4 clients open it)."""
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "select tags['storage_version'] from duckdb_databases() where database_name = current_database()"
        ).fetchone()[0]
