"""The DAG runs one way: raw sources -> staging -> intermediate -> marts (dbt's parsed manifest)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2] / "dbt_project"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory) -> dict:
    work = tmp_path_factory.mktemp("parse")
    data = work / "data"
    data.mkdir()
    (data / "events.csv").write_text("user_id,event_type,event_ts\nu1,view,2026-01-01\n")
    env = {**os.environ, "LEARNMART_DBT_PATH": str(work / "w.duckdb"), "LEARNMART_DATA_DIR": str(data)}
    dbt = str(Path(sys.executable).parent / "dbt")
    proc = subprocess.run(
        [dbt, "parse", "--profiles-dir", ".", "--target-path", str(work / "target"), "--log-path", str(work)],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads((work / "target" / "manifest.json").read_text())


def _layer(node: dict) -> str:
    return node["original_file_path"].split("/")[1] if node["resource_type"] == "model" else node["resource_type"]


def test_no_staging_or_intermediate_model_reads_a_mart(manifest):
    nodes = manifest["nodes"]
    backward = []
    for node in nodes.values():
        if node["resource_type"] != "model" or _layer(node) not in ("staging", "intermediate"):
            continue
        for parent in node["depends_on"]["nodes"]:
            if parent in nodes and nodes[parent]["resource_type"] == "model" and _layer(nodes[parent]) == "marts":
                backward.append(f"{node['name']} <- {nodes[parent]['name']}")
    assert backward == []


def _entity(name: str) -> str:
    return name.split("__", 1)[-1]


def test_no_staging_model_joins_another_entity(manifest):
    nodes = manifest["nodes"]
    crossing = [
        f"{node['name']} <- {nodes[parent]['name']}"
        for node in nodes.values()
        if node["resource_type"] == "model" and _layer(node) == "staging"
        for parent in node["depends_on"]["nodes"]
        if parent in nodes
        and _layer(nodes[parent]) == "staging"
        and _entity(nodes[parent]["name"]) != _entity(node["name"])
        and _entity(nodes[parent]["name"]) not in ("files",)
    ]
    assert crossing == []


def test_lineage_starts_at_the_raw_files(manifest):
    """Each raw entity is a dbt source that its base model depends on (docs/operations.md)."""
    from learnmart.raw_files import RAW_ENTITIES

    raw = {s["name"] for s in manifest["sources"].values() if s["source_name"] == "raw"}
    assert raw == set(RAW_ENTITIES)
    for entity in RAW_ENTITIES:
        node = manifest["nodes"][f"model.learnmart.base_raw__{entity}"]
        assert f"source.learnmart.raw.{entity}" in node["depends_on"]["nodes"]


# past participles that do not end in -ed
IRREGULAR = {"chosen", "split", "withheld"}


def test_intermediate_models_are_named_entities_then_what_was_done(manifest):
    """dbt's convention int_<entities>_<verb>ed (int_orders_refunded, int_users_keyed): the
    name says what the rows are and what was done to them."""
    badly_named = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or _layer(node) != "intermediate":
            continue
        words = node["name"].split("_")
        if words[0] != "int" or len(words) < 3 or not (words[-1].endswith("ed") or words[-1] in IRREGULAR):
            badly_named.append(node["name"])
    assert badly_named == []


def test_every_mart_has_an_enforced_contract(manifest):
    """BI tools and the CLI read the marts: their columns and types are a promise."""
    loose = [
        node["name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and _layer(node) == "marts" and not node["contract"]["enforced"]
    ]
    assert loose == []
