"""Where learnmart's dbt project lives, and the default database path."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def project_dir() -> Path:
    """The dbt project: $LEARNMART_PROJECT_DIR, else dbt_project/ of this checkout."""
    return Path(os.environ.get("LEARNMART_PROJECT_DIR", REPO_ROOT / "dbt_project")).resolve()


def default_db() -> Path:
    """--db default: $LEARNMART_DB, else learnmart.duckdb in the working directory."""
    return Path(os.environ.get("LEARNMART_DB", "learnmart.duckdb"))
