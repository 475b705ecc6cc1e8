"""`learnmart build`: all-or-nothing publishing, clear failures, files BI tools can open."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time

import duckdb
import pytest

from tests.conftest import LEARNMART, copy_project, run_cli, run_dbt

MARTS_SQL = "select table_name from duckdb_tables() where schema_name = 'main' order by 1"


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_mart_is_readable_from_a_fresh_process_without_udfs(demo_db):
    code = f"""
import duckdb, json
con = duckdb.connect({str(demo_db)!r}, read_only=True)
marts = [r[0] for r in con.execute({MARTS_SQL!r}).fetchall()]
counts = {{m: con.execute(f'select count(*) from "{{m}}"').fetchone()[0] for m in marts}}
print(json.dumps(counts))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    counts = json.loads(out.stdout)
    assert {"rejected_events", "build_summary", "course_similarity"} <= set(counts)
    assert counts["course_similarity"] > 0


def test_as_of_defaults_to_the_latest_event_not_the_wall_clock(demo_db, demo_data):
    con = duckdb.connect(str(demo_db), read_only=True)
    as_of, last = con.execute("select as_of, last_event_at from build_summary limit 1").fetchone()
    latest = duckdb.sql(
        f"select max(timezone('UTC', try_cast(event_ts as timestamptz))) from '{demo_data}/events.parquet' "
        "where event_ts not like '2099%'"
    ).fetchall()[0][0]
    assert as_of == last == latest


def test_explicit_as_of_keeps_later_events_valid_but_outside_the_window(demo_data, tmp_path):
    db = tmp_path / "w.duckdb"
    result = run_cli("build", "--data", str(demo_data), "--db", str(db), "--as-of", "2026-03-31", "-q")
    assert result.returncode == 0, result.stderr
    con = duckdb.connect(str(db), read_only=True)
    later, windowed_max, read, acc, rej = con.execute(
        """
        select
            (select count(*) from staging.stg_raw__events where event_ts > '2026-03-31'),
            (select max(event_ts) from intermediate.int_events_windowed),
            rows_read, rows_accepted, rows_rejected
        from build_summary where entity = 'events'
        """
    ).fetchone()
    assert later > 0
    assert windowed_max <= duckdb.sql("select timestamp '2026-03-31'").fetchall()[0][0]
    assert acc + rej == read


def test_a_failing_test_leaves_the_published_file_untouched(demo_db, demo_data, tmp_path):
    db = tmp_path / "w.duckdb"
    db.write_bytes(demo_db.read_bytes())
    before = _sha(db)
    project = copy_project(tmp_path)
    (project / "tests" / "assert_this_build_fails.sql").write_text(
        "-- depends_on: {{ ref('build_summary') }}\nselect 1 as broken\n"
    )
    result = run_cli(
        "build",
        "--data",
        str(demo_data),
        "--db",
        str(db),
        "-q",
        env={"LEARNMART_PROJECT_DIR": str(project)},
    )
    assert result.returncode == 1
    assert "assert_this_build_fails" in result.stderr
    assert result.stderr.count("\n") == 1  # one clear line
    assert _sha(db) == before
    assert not list(tmp_path.glob(".w.duckdb.building-*"))
    # the failed warehouse is kept aside, with the failing rows in schema test_failures
    failed = tmp_path / "w.failed.duckdb"
    assert str(failed) in result.stderr
    with duckdb.connect(str(failed), read_only=True) as con:
        assert con.execute("select broken from test_failures.assert_this_build_fails").fetchall() == [(1,)]


@pytest.mark.parametrize("quiet", [True, False])
def test_a_model_dbt_cannot_parse_is_named_with_its_error(demo_data, tmp_path, quiet):
    """dbt writes no log file in a build: an error before any node ran reaches the message from dbt's events."""
    project = copy_project(tmp_path)
    model = project / "models" / "marts" / "recommendations" / "course_pairs.sql"
    model.write_text(
        model.read_text().replace("ref('int_course_pairs_counted') }}", "ref('int_course_pairs_counted' }}")
    )
    db = tmp_path / "w.duckdb"
    result = run_cli(
        "build",
        "--data",
        str(demo_data),
        "--db",
        str(db),
        *(["-q"] if quiet else []),
        env={"LEARNMART_PROJECT_DIR": str(project)},
    )
    assert result.returncode == 1, result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("learnmart: build failed"), result.stderr
    assert last.endswith(
        "Compilation Error in model course_pairs (models/marts/recommendations/course_pairs.sql) "
        "unexpected '}', expected ')'"
    )
    if quiet:
        assert result.stderr.count("\n") == 1  # one clear line
    else:
        assert "Running with dbt=" in result.stderr  # dbt's progress, shown as it runs
    assert not db.exists() and not list(tmp_path.glob(".w.duckdb.building-*"))


def test_invalid_vars_stop_the_build_before_any_model_naming_each(demo_data, tmp_path):
    from learnmart.warehouse import engine as build

    bad = {
        "rec_k": "ten",
        "half_life_days": 0,
        "pair_min_support": 1.5,
        "rec_weight_content": -0.1,
        "eval_test_share": 1,
        "lifecycle_at_risk_days": 10,
        "eval_split": "random",
    }
    with pytest.raises(build.BuildError) as failed:
        build.run_build(demo_data, tmp_path / "w.duckdb", quiet=True, extra_vars=bad)
    message = str(failed.value)
    assert "invalid vars" in message and "\n" not in message
    for expected in (
        'rec_k must be a whole number of at least 1, got "ten"',
        "half_life_days must be a number above 0, got 0",
        "pair_min_support must be a whole number of at least 1, got 1.5",
        "rec_weight_content must be a number at least 0, got -0.1",
        "eval_test_share must be a number between 0 and 1, got 1",
        "lifecycle_at_risk_days (10) must not be below lifecycle_active_days (30)",
        'eval_split must be one of null, "temporal", "user_random", got "random"',
    ):
        assert expected in message
    # the defaults pass, and a var that is valid is not named
    assert "rec_neighbors" not in message and "lifecycle_dormant_days" not in message
    assert not (tmp_path / "w.duckdb").exists()


def test_usage_and_environment_errors_exit_2_with_one_line(tmp_path):
    missing = run_cli("build", "--data", str(tmp_path / "nope"), "--db", str(tmp_path / "w.duckdb"))
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1
    (tmp_path / "empty").mkdir()
    no_events = run_cli("build", "--data", str(tmp_path / "empty"), "--db", str(tmp_path / "w.duckdb"))
    assert no_events.returncode == 2 and "no events" in no_events.stderr
    bad_as_of = run_cli("build", "--data", str(tmp_path / "empty"), "--as-of", "yesterday")
    assert bad_as_of.returncode == 2
    (tmp_path / "unreadable" / "events.parquet").mkdir(parents=True)  # a folder, not a file
    unreadable = run_cli("build", "--data", str(tmp_path / "unreadable"), "--db", str(tmp_path / "w.duckdb"))
    assert unreadable.returncode == 2 and unreadable.stderr.count("\n") == 1, unreadable.stderr
    assert "events.parquet is a folder" in unreadable.stderr
    no_db = run_cli("similar", "c1", "--db", str(tmp_path / "absent.duckdb"))
    assert no_db.returncode == 2 and "no database" in no_db.stderr and "Traceback" not in no_db.stderr


def test_a_build_that_would_publish_nothing_useful_exits_2_and_keeps_the_file(demo_db, demo_data, tmp_path):
    """An --as-of before every event published an empty warehouse over a good one, and a
    --select matching nothing republished the file, both with exit 0 (issue 25, item 11)."""
    db = tmp_path / "w.duckdb"
    shutil.copyfile(demo_db, db)
    before = _sha(db)
    early = run_cli("build", "--data", str(demo_data), "--db", str(db), "-q", "--as-of", "1999-01-01")
    assert early.returncode == 2 and early.stderr.count("\n") == 1, early.stderr
    assert "--as-of 1999-01-01 00:00:00 is before every accepted event" in early.stderr
    nothing = run_cli("build", "--data", str(demo_data), "--db", str(db), "-q", "--select", "no_such_model")
    assert nothing.returncode == 2 and nothing.stderr.count("\n") == 1, nothing.stderr
    assert "--select 'no_such_model' matches no model" in nothing.stderr
    assert _sha(db) == before
    assert not list(tmp_path.glob("w.failed.*")) and not list(tmp_path.glob(".w.duckdb.building-*"))


def test_a_bad_memory_limit_or_temp_dir_exits_2_before_anything_is_written(tmp_path):
    """--memory-limit abc failed every model and left a .failed.duckdb; a --temp-dir DuckDB
    cannot create was reported as a CSV problem (issue 25, item 12)."""
    data = tmp_path / "data"
    data.mkdir()
    (data / "events.csv").write_text("user_id,event_type,event_ts\nu1,checkin,2026-01-01\n")
    (tmp_path / "plain").write_text("a file")
    db = tmp_path / "w.duckdb"
    cases = [
        (["--memory-limit", "abc"], {}, "--memory-limit 'abc' is not a memory size"),
        ([], {"LEARNMART_MEMORY_LIMIT": "lots"}, "LEARNMART_MEMORY_LIMIT 'lots' is not a memory size"),
        (["--temp-dir", str(tmp_path / "plain" / "spill")], {}, "plain is not a directory"),
        (["--temp-dir", "/proc/learnmart-spill"], {}, "cannot create folders in /proc"),
    ]
    for args, env, expected in cases:
        result = run_cli("build", "--data", str(data), "--db", str(db), "-q", *args, env=env)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert expected in result.stderr and "CSV" not in result.stderr, result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["data", "plain"]


def test_a_second_concurrent_build_exits_2(demo_data, tmp_path):
    db = tmp_path / "w.duckdb"
    first = subprocess.Popen(
        [*LEARNMART, "build", "--data", str(demo_data), "--db", str(db), "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.0)
    second = run_cli("build", "--data", str(demo_data), "--db", str(db), "-q")
    assert first.wait(timeout=300) == 0
    assert second.returncode == 2 and "another build" in second.stderr


@pytest.mark.parametrize("fmt", ["table", "json", "csv"])
def test_similar_in_every_format(demo_db, fmt):
    con = duckdb.connect(str(demo_db), read_only=True)
    course, expected = con.execute(
        "select course_id, list(other_course_id order by neighbor_rank)[1:3] from course_similarity "
        "group by 1 order by 1 limit 1"
    ).fetchone()
    con.close()
    result = run_cli("similar", course, "--db", str(demo_db), "--k", "3", "--format", fmt)
    assert result.returncode == 0, result.stderr
    if fmt == "json":
        assert [r["course_id"] for r in json.loads(result.stdout)] == expected
    elif fmt == "csv":
        lines = result.stdout.strip().splitlines()
        assert lines[0] == "rank,course_id,content_cosine" and len(lines) == 4
    else:
        assert all(c in result.stdout for c in expected)


def test_similar_handles_hostile_ids_as_data(demo_db):
    result = run_cli("similar", "c1'; drop table course_similarity; --", "--db", str(demo_db))
    assert result.returncode == 1 and "unknown course" in result.stderr
    con = duckdb.connect(str(demo_db), read_only=True)
    assert con.execute("select count(*) from course_similarity").fetchone()[0] > 0


def test_docs_site_covers_every_mart(demo_db, tmp_path):
    result = run_cli("docs", "--db", str(demo_db), "--out", str(tmp_path / "site"))
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "site" / "static_index.html").read_text()
    catalog = json.loads((tmp_path / "site" / "catalog.json").read_text())
    tables = {node["metadata"]["name"] for node in catalog["nodes"].values()}
    assert {"user_recommendations", "user_segments", "campaign_audiences"} <= tables
    assert "user_recommendations" in page


def test_a_build_leaves_dbt_parse_cache_for_the_next(demo_db, parse_cache):
    # demo_db's build wrote the parsed project where the next build with the same vars looks
    cached = list((parse_cache / "learnmart").glob("dbt-partial-parse-*.msgpack"))
    assert len(cached) >= 1
    assert all(path.stat().st_size > 100_000 for path in cached)


def test_an_unusable_parse_cache_only_costs_time(tmp_path, monkeypatch):
    from learnmart.warehouse import dbt as build

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("LEARNMART_CACHE_DIR", str(blocker))
    target = tmp_path / "target"
    target.mkdir()
    (target / build.PARTIAL_PARSE_FILE).write_bytes(b"parsed")
    cache = build.parse_cache({}, {})
    build.save_parse_cache(cache, target)  # cannot write: no error
    build.restore_parse_cache(cache, tmp_path / "other-target")  # nothing to read: no error
    assert not (tmp_path / "other-target" / build.PARTIAL_PARSE_FILE).exists()
    # and one that can be written round-trips
    monkeypatch.setenv("LEARNMART_CACHE_DIR", str(tmp_path / "cache"))
    cache = build.parse_cache({}, {})
    build.save_parse_cache(cache, target)
    build.restore_parse_cache(cache, tmp_path / "third-target")
    assert (tmp_path / "third-target" / build.PARTIAL_PARSE_FILE).read_bytes() == b"parsed"
    assert build.parse_cache({"as_of": "2026-01-01"}, {}) != cache


@pytest.mark.parametrize(
    ("threads", "env_threads", "preset", "expected"),
    [
        (None, None, None, "1"),
        (2, None, None, "1"),
        (2, None, "4", "4"),
        (1, None, None, "1"),
        (None, "1", None, "1"),
        (None, "two", None, "1"),  # dbt's own problem to report, not a traceback here
    ],
)
def test_python_models_get_one_blas_thread_unless_the_caller_set_one(
    tmp_path, monkeypatch, threads, env_threads, preset, expected
):
    """The scoring kernel runs batches on DuckDB's threads: a BLAS thread per core would oversubscribe."""
    from learnmart.warehouse import dbt
    from learnmart.warehouse import engine as build

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "events.csv").write_text("event_id,user_id,course_id,event_type,event_ts\n")
    for name in (*dbt.BLAS_THREAD_VARS, "LEARNMART_THREADS"):
        monkeypatch.delenv(name, raising=False)
    if env_threads:
        monkeypatch.setenv("LEARNMART_THREADS", env_threads)
    if preset:
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", preset)
    seen = {}

    def fake_dbt(cmd, env, **kwargs):
        seen.update(env)
        return subprocess.CompletedProcess(cmd, 2, stdout=None, stderr="")

    monkeypatch.setattr(dbt.subprocess, "run", fake_dbt)
    with pytest.raises(build.BuildError):
        build.run_build(tmp_path / "data", tmp_path / "out" / "learnmart.duckdb", quiet=True, threads=threads)
    assert seen.get("OPENBLAS_NUM_THREADS") == expected
    if expected == "1":
        assert seen["OMP_NUM_THREADS"] == seen["MKL_NUM_THREADS"] == "1"


def test_dbt_run_exits_2_with_the_error_dbt_returns_without_an_event(tmp_path):
    """A bad option never reaches dbt's event stream; learnmart.warehouse.dbt_run still says it."""
    proc = subprocess.run(
        [sys.executable, "-m", "learnmart.warehouse.dbt_run", "build", "--no-such-option"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["Encountered an error:", "No such option '--no-such-option'."]


def test_every_commands_help_shows_its_text_and_each_options_whole():
    """Help is rendered as markdown: in rich's markup `[default: ...]` read as a tag and vanished."""
    import inspect

    import typer.main
    from learnmart.cli.main import app
    from typer.testing import CliRunner

    runner = CliRunner()
    for name, command in typer.main.get_command(app).commands.items():
        shown = runner.invoke(app, [name, "--help"], env={"COLUMNS": "400"}).output
        flat = " ".join(shown.replace("│", " ").split())
        texts = [inspect.cleandoc(command.help)] + [param.help for param in command.params if param.help]
        for text in texts:
            assert " ".join(text.replace("`", "").split()) in flat, (name, text)


def test_dbt_build_run_directly_as_the_readme_shows_gives_what_learnmart_build_gives(demo_data, demo_db, tmp_path):
    """Analytics engineers run `dbt build` in dbt_project with the data_dir var and none of the CLI's settings."""
    db = tmp_path / "shop.duckdb"
    proc = run_dbt("build", "--vars", f"{{data_dir: {demo_data}}}", db=db, work=tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        con.execute(f"attach '{demo_db}' as cli (read_only)")
        for table, columns in {
            "build_summary": "entity, rows_read, rows_accepted, rows_rejected, as_of",
            "user_segments": "user_id, r_score, f_score, m_score, rfm_segment, lifecycle_stage",
            "user_recommendations": "user_id, rank, course_id, reason",
            "campaign_audiences": 'campaign, user_key, "group"',
        }.items():
            direct, through_cli = (f"select {columns} from {catalog}.main.{table}" for catalog in ("shop", "cli"))
            assert con.execute(f"select count(*) from ({through_cli})").fetchone()[0] > 0, table
            for a, b in ((direct, through_cli), (through_cli, direct)):
                assert con.execute(f"select count(*) from ({a} except all {b})").fetchone() == (0,), table
        score_gap = """
            select max(abs(d.score - c.score)) from shop.main.user_recommendations as d
            inner join cli.main.user_recommendations as c using (user_id, rank)
        """
        assert con.execute(score_gap).fetchone()[0] < 1e-9


def test_dbt_source_freshness_says_how_old_the_newest_accepted_event_is(demo_db, tmp_path):
    """docs/operations.md's `dbt source freshness` on a built file: stale data errors, an event today passes."""
    db = tmp_path / "w.duckdb"
    db.write_bytes(demo_db.read_bytes())

    def freshness() -> str:
        run_dbt("source", "freshness", "--output", str(tmp_path / "sources.json"), db=db, work=tmp_path)
        (result,) = json.loads((tmp_path / "sources.json").read_text())["results"]
        return result["status"]

    assert freshness() == "error"  # the demo data ends months before today
    with duckdb.connect(str(db)) as con:
        # stg_raw__events is a view over the accepted rows of base_raw__events
        newest = "select max(event_ts) from staging.base_raw__events where reject_reason is null"
        con.execute(
            f"update staging.base_raw__events set event_ts = timezone('UTC', now()) where event_ts = ({newest})"
        )
    assert freshness() == "pass"
