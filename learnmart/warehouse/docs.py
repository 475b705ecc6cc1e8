"""`learnmart docs`: dbt's docs site (manifest, catalog, lineage) for a built warehouse."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from learnmart.warehouse.dbt import dbt_command, die_with_parent
from learnmart.warehouse.errors import BuildEnvironmentError, BuildError
from learnmart.warehouse.failures import last_error
from learnmart.warehouse.inputs import find_raw_files


def generate_docs(db: Path, out: Path, data: Path | None = None) -> Path:
    """dbt docs (manifest and catalog) for the warehouse in ``db``, as a static site in ``out``."""
    import duckdb

    db = db.resolve()
    if not db.exists():
        raise BuildEnvironmentError(f"no database at {db}: run `learnmart build --data DIR` first")
    if data is None:
        with duckdb.connect(str(db), read_only=True) as con:
            data = Path(con.execute("select data_dir from intermediate.int_model_parameters_resolved").fetchone()[0])
    if not find_raw_files(data, "events"):
        raise BuildEnvironmentError(f"the build's data folder {data} is gone; pass --data DIR")
    work = Path(tempfile.mkdtemp(prefix="learnmart-docs-"))
    try:
        copy = work / "warehouse.duckdb"
        shutil.copyfile(db, copy)  # dbt opens its file for writing; the published one stays untouched
        env = {**os.environ, "LEARNMART_DBT_PATH": str(copy), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        proc = subprocess.run(
            dbt_command(["docs", "generate", "--static"], work, {"data_dir": str(data)}),
            env=env,
            capture_output=True,
            text=True,
            check=False,
            preexec_fn=die_with_parent(),
        )
        if proc.returncode != 0:
            lines = last_error(proc.stderr)
            raise BuildError("dbt docs generate failed" + (f": {lines[0]}" if lines else ""))
        out.mkdir(parents=True, exist_ok=True)
        for name in ("index.html", "static_index.html", "manifest.json", "catalog.json"):
            if (work / "target" / name).exists():
                shutil.copyfile(work / "target" / name, out / name)
        return out / "static_index.html"
    finally:
        shutil.rmtree(work, ignore_errors=True)
