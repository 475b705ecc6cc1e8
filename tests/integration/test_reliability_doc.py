"""docs/reliability.md names the test that proves each guarantee: each of them must exist."""

from __future__ import annotations

import ast
import re

from tests.conftest import REPO


def test_every_test_the_reliability_page_names_exists():
    page = (REPO / "docs" / "reliability.md").read_text()
    named = re.findall(r"`(tests/(?:unit|integration)/test_\w+\.py)::(test_\w+)`", page)
    assert len(named) > 20
    for path, name in named:
        tree = ast.parse((REPO / path).read_text())
        tests = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert name in tests, f"{path}::{name}"
