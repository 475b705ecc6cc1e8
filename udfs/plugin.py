"""dbt-duckdb plugin: ``plugins: [{module: learnmart.udfs.plugin}]`` in profiles.yml."""

from __future__ import annotations

import contextlib
from pathlib import Path

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin
from duckdb.sqltypes import VARCHAR
from learnmart.udfs.registry import register_udfs

from learnmart import raw_files


def learnmart_raw_files(data_dir: str, entity: str) -> list[str]:
    """The raw files of ``entity`` in ``data_dir``, for the macro raw_files when dbt runs
    without `learnmart build` (which hands dbt the same list in its manifest)."""
    return [str(path) for path in raw_files.find(Path(data_dir), entity)]


class Plugin(BasePlugin):
    """Registers learnmart's numpy UDFs, and the raw-file list, on every connection dbt opens."""

    def configure_connection(self, conn) -> None:
        register_udfs(conn)
        with contextlib.suppress(duckdb.CatalogException):  # registered on this connection already
            conn.create_function(
                "learnmart_raw_files", learnmart_raw_files, [VARCHAR, VARCHAR], duckdb.list_type(VARCHAR)
            )
