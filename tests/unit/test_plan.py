"""The build plan (learnmart.warehouse.plan) and failure sorting (learnmart.warehouse.failures),
without dbt or a warehouse: pure functions of what the published file says and of dbt's results."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from learnmart.warehouse.failures import Failure, dbt_failures, environment_error
from learnmart.warehouse.plan import Kind, Plan, Published, Request, plan

NOW = dt.datetime(2026, 7, 2, 12)
BUILT = dt.datetime(2026, 7, 1, 8)
SAME = Published(exists=True, build_fingerprint="b1", inputs_fingerprint="i1", built_at=BUILT)


def test_the_same_fingerprints_and_no_expired_verdict_mean_nothing_to_do():
    assert plan(SAME, Request("b1", "i1"), NOW) == Plan(Kind.UP_TO_DATE, built_at=BUILT)
    ahead = Published(**{**SAME.__dict__, "verdicts_valid_until": NOW + dt.timedelta(seconds=1)})
    assert plan(ahead, Request("b1", "i1"), NOW).kind is Kind.UP_TO_DATE


def test_an_expired_verdict_or_other_inputs_mean_an_incremental_build():
    """A send rejected as in the future has fallen due (or as_of was the wall clock): same project, so incremental."""
    due = Published(**{**SAME.__dict__, "verdicts_valid_until": NOW})
    assert plan(due, Request("b1", "i1"), NOW) == Plan(Kind.INCREMENTAL)
    assert plan(SAME, Request("b1", "i2"), NOW) == Plan(Kind.INCREMENTAL)
    # benchmarks turn the up-to-date check off
    assert plan(SAME, Request("b1", "i1", skip_up_to_date=False), NOW) == Plan(Kind.INCREMENTAL)
    # a file whose build time is unknown is never taken as up to date
    unknown = Published(exists=True, build_fingerprint="b1", inputs_fingerprint="i1")
    assert plan(unknown, Request("b1", "i1"), NOW).kind is Kind.INCREMENTAL


def test_a_full_build_says_why_it_could_not_be_incremental():
    assert plan(Published(), Request("b1", "i1"), NOW) == Plan(Kind.FULL, "no published file yet")
    no_context = plan(Published(exists=True), Request("b1", "i1"), NOW)
    assert no_context.kind is Kind.FULL and "no build fingerprint" in no_context.reason
    other = plan(SAME, Request("b2", "i1"), NOW)
    assert other.kind is Kind.FULL and "differ from the published build's" in other.reason
    assert plan(SAME, Request("b1", "i1", full_refresh=True), NOW) == Plan(Kind.FULL, "--full-refresh")


def test_a_selection_is_partial_whatever_the_published_file_says():
    """--select updates a copy of the published file: never up to date, never a full build's reason."""
    for published in (SAME, Published(), Published(exists=True)):
        assert plan(published, Request("b1", "", select="+user_segments"), NOW) == Plan(Kind.PARTIAL)
    assert plan(SAME, Request("b1", "", select="x", full_refresh=True), NOW) == Plan(Kind.PARTIAL)


def test_a_partial_build_leaves_nothing_up_to_date():
    """After --select the file's inputs fingerprint is empty: no build matches it."""
    partial = Published(**{**SAME.__dict__, "inputs_fingerprint": ""})
    assert plan(partial, Request("b1", "i1"), NOW) == Plan(Kind.INCREMENTAL)
    assert plan(partial, Request("b1", ""), NOW) == Plan(Kind.INCREMENTAL)


def _run_results(path: Path, *results: tuple[str, str, str]) -> Path:
    rows = [{"unique_id": node, "status": status, "message": message} for node, status, message in results]
    path.write_text(json.dumps({"results": rows}))
    return path


def test_failures_are_the_failed_nodes_of_run_results(tmp_path):
    results = _run_results(
        tmp_path / "run_results.json",
        ("model.learnmart.user_features", "success", "OK"),
        ("test.learnmart.unique_user_features_user_id", "fail", "Got 3 results, configured to fail if != 0"),
        ("model.learnmart.course_pairs", "error", "Runtime Error in model course_pairs\n  Binder Error: no column x"),
    )
    found = dbt_failures(results, 1, "ignored: run_results says it")
    assert [f.line() for f in found] == [
        "test.learnmart.unique_user_features_user_id: fail - Got 3 results, configured to fail if != 0",
        "model.learnmart.course_pairs: error - Binder Error: no column x",
    ]
    assert environment_error(found, tmp_path, tmp_path / "w.duckdb", "4GB", disk_full=False) == ""


def test_without_a_failed_node_the_last_error_dbt_wrote_is_the_failure(tmp_path):
    missing = tmp_path / "none.json"
    stderr = "some progress\nCompilation Error\n  in macro x: bad var\n"
    assert [f.line() for f in dbt_failures(missing, 2, stderr)] == ["Compilation Error in macro x: bad var"]
    assert [f.line() for f in dbt_failures(missing, 2, "")] == ["dbt exited with code 2"]
    assert dbt_failures(missing, 0, "") == []


def test_a_raw_base_model_that_fails_means_its_files_could_not_be_read(tmp_path):
    """Known from the node id (base_raw__<entity>), whatever dbt's message says."""
    data, db = tmp_path / "data", tmp_path / "w.duckdb"
    broken = [Failure("model.learnmart.base_raw__users", "error", "Invalid Input Error: not UTF-8 (file users.csv)")]
    line = environment_error(broken, data, db, "4GB", disk_full=False)
    assert line.startswith(f"cannot read the users file(s) in {data}: Invalid Input Error")
    assert line.endswith("(fix or re-export the file: CSV files must be UTF-8 with a header row)")
    own = [Failure("model.learnmart.base_raw__events", "error", "events file(s) e.csv have no column 'user_id' "
                   "(required by the raw contract)")]  # fmt: skip
    assert environment_error(own, data, db, "4GB", disk_full=False).endswith("(required by the raw contract)")


def test_memory_and_disk_come_first_and_from_the_message(tmp_path):
    """Out of memory and a full disk are in nothing dbt records but the message."""
    data, db = tmp_path / "data", tmp_path / "w.duckdb"
    oom = [Failure("model.learnmart.base_raw__events", "error", "Out of Memory Error: failed to allocate 8 MiB")]
    line = environment_error(oom, data, db, "64MB", disk_full=False)
    assert line.startswith("the build ran out of memory in base_raw__events under memory_limit 64MB (failed to")
    spill = [Failure("model.learnmart.course_pairs", "error", "Out of Memory Error: No space left on device")]
    full = f"the disk holding {tmp_path} is full; {db} was left as it was. Free space and build again"
    assert environment_error(spill, data, db, "64MB", disk_full=False) == full
    failed_test = [Failure("test.learnmart.x", "fail", "Got 1 result")]
    assert environment_error(failed_test, data, db, "64MB", disk_full=True) == full


def test_a_selection_over_a_file_from_before_the_renames_is_refused_with_one_line():
    import pytest

    from learnmart.warehouse.errors import BuildEnvironmentError

    old = Published(exists=True, before_renames=True)
    with pytest.raises(BuildEnvironmentError, match="build once without --select"):
        plan(old, Request("b1", "", select="user_features"), NOW)
    assert plan(old, Request("b1", "i1"), NOW).kind is Kind.FULL  # a whole build is fine


def test_unit_tests_run_once_per_project_vars_and_libraries(tmp_path, monkeypatch):
    """A whole build that passed marks its unit-test fingerprint; the same project, vars and
    libraries skip them after, whatever the data. A var, an as-of or a project file changes it."""
    from learnmart.warehouse import dbt, inputs

    monkeypatch.setenv("LEARNMART_CACHE_DIR", str(tmp_path / "cache"))
    key = inputs.unit_tests_fingerprint(None, None)
    assert key == inputs.unit_tests_fingerprint(None, {})
    assert (
        len(
            {
                key,
                inputs.unit_tests_fingerprint("2026-01-01", None),
                inputs.unit_tests_fingerprint(None, {"k_anonymity": 5}),
            }
        )
        == 3
    )
    assert not dbt.unit_tests_passed(key)
    dbt.record_unit_tests_passed(key)
    assert dbt.unit_tests_passed(key)
    assert not dbt.unit_tests_passed(inputs.unit_tests_fingerprint(None, {"k_anonymity": 5}))
    # the project's files are in it: a copy with one model edited is another project
    import shutil

    project = tmp_path / "project"
    shutil.copytree(inputs.project_dir(), project / "dbt_project", ignore=shutil.ignore_patterns("target", "logs"))
    monkeypatch.setattr(inputs, "project_dir", lambda: project / "dbt_project")
    copied = inputs.unit_tests_fingerprint(None, None)
    model = next((project / "dbt_project" / "models").rglob("user_features.sql"))
    model.write_text(model.read_text() + "\n-- edited\n")
    assert inputs.unit_tests_fingerprint(None, None) != copied
