"""dbt-duckdb plugin: ``plugins: [{module: learnmart.udfs.plugin}]`` in profiles.yml."""

from __future__ import annotations

from dbt.adapters.duckdb.plugins import BasePlugin
from learnmart.udfs.registry import register_udfs


class Plugin(BasePlugin):
    """Registers learnmart's numpy UDFs on every connection dbt opens."""

    def configure_connection(self, conn) -> None:
        register_udfs(conn)
