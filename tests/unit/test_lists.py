"""Each list the project needs in more than one language has one home, and these tests fail
when a copy that cannot read it drifts from it:

- raw entities: macro raw_contract (dbt needs them while parsing, with their columns);
  learnmart.raw_files.RAW_ENTITIES is Python's copy (it finds and hashes the files before dbt
  runs), and each entity has its base_raw__ and stg_raw__ models and a rejected_ mart;
- event types: macro event_types (the staging model and the accepted_values test call it);
  seed event_weights has a row per type, and docs/raw_contract.md names them;
- incremental tables: the models' own config; the published file lists them
  (int_build_context_resolved.incremental_tables, tests/integration/test_incremental.py), so Python keeps no copy.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import jinja2

from learnmart.raw_files import RAW_ENTITIES

REPO = Path(__file__).resolve().parents[2]
MACROS = REPO / "dbt_project" / "macros"
MODELS = REPO / "dbt_project" / "models"


def macro_value(path: Path, name: str):
    """What a dbt macro of ``path`` returns (``{{ return(...) }}``), rendered with plain Jinja."""
    returned = []
    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    env.globals["return"] = lambda value: returned.append(value) or ""
    getattr(env.from_string(path.read_text()).module, name)()
    return returned[-1]


def test_raw_entities_are_the_raw_contracts():
    contract = macro_value(MACROS / "raw_relation.sql", "raw_contract")
    assert tuple(contract) == RAW_ENTITIES
    for layer, prefix in (("staging", "base_raw__"), ("staging", "stg_raw__"), ("marts", "rejected_")):
        models = {p.stem.removeprefix(prefix) for p in (MODELS / layer).rglob(f"{prefix}*.sql")}
        assert models - {"files"} == set(RAW_ENTITIES), prefix


def test_no_model_or_test_writes_the_entities_out_again():
    literal = re.compile(r"\[\s*'events',\s*'courses'")
    for path in [*MODELS.rglob("*.sql"), *(REPO / "dbt_project" / "tests").rglob("*.sql")]:
        assert not literal.search(path.read_text()), path


def test_event_types_are_the_seeds_and_the_contracts():
    types = macro_value(MACROS / "event_types.sql", "event_types")
    course_types = macro_value(MACROS / "event_types.sql", "course_event_types")
    assert len(set(types)) == len(types) and set(course_types) <= set(types)
    with open(REPO / "seeds" / "event_weights.csv", newline="") as fh:
        assert sorted(row["event_type"] for row in csv.DictReader(fh)) == sorted(types)
    doc = (REPO / "docs" / "raw_contract.md").read_text()
    named = re.search(r"\| `event_type` \| yes \| one of ([a-z, ]+) \(any case\)", doc)
    assert named and [t.strip() for t in named.group(1).replace(" and ", ", ").split(",")] == types
    # the staging yml calls the macro instead of listing them
    yml = (MODELS / "staging" / "raw" / "_raw__models.yml").read_text()
    assert "{{ event_types() }}" in yml and "purchase, refund" not in yml


def test_the_demographic_attributes_are_columns_of_the_users_contract():
    """macro demographic_attributes (profiles, playbook targeting, k-anonymous breakdowns)
    names only columns the raw contract gives users files."""
    demographics = macro_value(MACROS / "playbook_matches.sql", "demographic_attributes")
    users = macro_value(MACROS / "raw_relation.sql", "raw_contract")["users"]["columns"]
    assert demographics and set(demographics) <= set(users)
