"""`learnmart report`: one offline HTML page of charts, opened in a real headless Chromium.

Two builds: generated data whose courses have Chinese titles and categories (one title is
hostile HTML), and an edge export - ratings only, no courses, users or campaign files.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import os
import random
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
import yaml
from learnmart.datagen import GeneratorConfig, generate

from learnmart.warehouse.engine import run_build
from tests.chromium import Chromium, Page, find_chromium
from tests.conftest import REPO, run_cli

CJK_CATEGORIES = {
    "programming": "编程",
    "data": "数据分析",
    "career": "职场",
    "finance": "理财",
    "language": "语言",
    "humanities": "人文",
    "health": "健康",
    "parenting": "亲子",
}
HOSTILE_TITLE = '<img src="https://tracker.example/x.png" onerror="alert(1)"><script>alert(2)</script>'
# charts every complete build draws; evaluation needs an evaluate build
DRAWN = {
    "rejects", "segments", "rfm_grid", "lifecycle", "segment_flow", "calibration", "auc",
    "selection", "top_courses", "audiences", "uplift", "category_demand", "clusters", "tags",
}  # fmt: skip


@pytest.fixture(scope="module")
def cjk_db(tmp_path_factory) -> Path:
    """A build of generated data whose course titles and categories are Chinese (one is hostile HTML)."""
    data = tmp_path_factory.mktemp("cjk_data")
    generate(data, GeneratorConfig(users=800, courses=60, days=240, seed=11, malformed_share=0.004))
    cases = " ".join(f"when '{en}' then '{zh}'" for en, zh in CJK_CATEGORIES.items())
    with duckdb.connect() as con:
        con.execute(
            f"""
            copy (
                select * replace (
                    case when course_id = (select min(course_id) from '{data}/courses.parquet') then $1
                         else (case category {cases} else category end) || '课程：第' || row_number() over () || '讲'
                    end as title,
                    case when course_id = (select min(course_id) from '{data}/courses.parquet') then $1
                         else (case category {cases} else category end)
                    end as category
                )
                from '{data}/courses.parquet'
            ) to '{data}/courses_zh.parquet' (format parquet)
            """,
            [HOSTILE_TITLE],
        )
    os.replace(data / "courses_zh.parquet", data / "courses.parquet")
    db = tmp_path_factory.mktemp("cjk_db") / "cjk.duckdb"
    run_build(data, db, quiet=True)
    return db


@pytest.fixture(scope="module")
def edge_db(tmp_path_factory) -> Path:
    """A ratings-only export: no purchases, no courses file, no users, no campaign sends."""
    data = tmp_path_factory.mktemp("edge_data")
    rng = random.Random(3)
    start = dt.datetime(2026, 1, 1)
    with open(data / "events.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["event_id", "user_id", "course_id", "event_type", "event_ts", "rating"])
        for n in range(400):
            ts = start + dt.timedelta(days=rng.randint(0, 170), minutes=rng.randint(0, 1000))
            writer.writerow(
                [f"e{n}", f"u{rng.randint(1, 60)}", f"c{rng.randint(1, 25)}", "rating", ts, rng.randint(1, 5)]
            )
    db = tmp_path_factory.mktemp("edge_db") / "edge.duckdb"
    run_build(data, db, quiet=True)
    return db


class _Figures(HTMLParser):
    """Each <figure>'s data-chart / data-empty key, and every src / href / id attribute."""

    def __init__(self):
        super().__init__()
        self.drawn: list[str] = []
        self.empty: list[str] = []
        self.links: list[str] = []
        self.ids: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.add(tag)
        if tag == "figure":
            (self.drawn if "data-chart" in attrs else self.empty).append(attrs.get("data-chart") or attrs["data-empty"])
        self.links += [v for k, v in attrs.items() if k in ("src", "href", "xlink:href", "action") and v]
        if "id" in attrs:
            self.ids.append(attrs["id"])


def _parse(page: str) -> _Figures:
    parser = _Figures()
    parser.feed(page)
    return parser


def _report(db: Path, out: Path) -> str:
    result = run_cli("report", "--db", str(db), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert str(out.resolve()) in result.stderr
    return out.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------- fast: no build


@pytest.fixture
def tiny_db(tmp_path) -> Path:
    """A hand-made warehouse with two marts and a hostile segment name: the page builder alone."""
    db = tmp_path / "tiny.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute(
            """
            create table segment_summary as select * from (values
                ('Champions', 10, 500.0::decimal(18,2), 0.5, 0.8),
                ('<script src="https://evil.example/x.js"></script>', 10, 125.0::decimal(18,2), 0.5, 0.2)
            ) as t(rfm_segment, users, revenue, share_of_users, share_of_revenue)
            """
        )
        con.execute("create table model_health (area varchar, check_name varchar, status varchar, message varchar)")
        con.execute(
            "insert into model_health values ('propensity', 'propensity_spread', 'fail', 'constant <b>score</b>')"
        )
    return db


def test_the_page_links_nothing_runs_nothing_and_says_what_is_missing(tiny_db, tmp_path):
    from learnmart.report import CSP, write_report

    with duckdb.connect(str(tiny_db), read_only=True) as con:
        result = write_report(con, tmp_path / "r.html", name="tiny.duckdb")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    found = _parse(page)
    assert [u for u in found.links if re.match(r"\s*(https?:)?//", u, re.I)] == []
    assert "script" not in found.tags and "iframe" not in found.tags and "link" not in found.tags
    assert f'content="{CSP}"' in page and "default-src 'none'" in CSP and "script-src" not in CSP
    assert result.charts == found.drawn == ["segments"]
    assert "&lt;script" in _figure(page, "segments")  # the hostile name is a label, escaped
    assert "constant &lt;b&gt;score&lt;/b&gt;" in page and 'class="status-fail"' in page
    assert "This warehouse has no user_segments, user_features mart: rebuild it with this learnmart." in page
    assert "no user_clusters mart: rebuild it with this learnmart." in page
    assert len(found.ids) == len(set(found.ids))


def test_the_exposure_declares_exactly_the_marts_the_report_reads():
    from learnmart.report import marts_read

    exposures = yaml.safe_load((REPO / "dbt_project" / "models" / "_exposures.yml").read_text())["exposures"]
    (report,) = [e for e in exposures if e["name"] == "learnmart_report"]
    declared = {re.fullmatch(r"ref\('(\w+)'\)", ref).group(1) for ref in report["depends_on"]}
    assert declared == marts_read()


def test_lookup_commands_never_import_the_chart_libraries():
    code = (
        "import json, sys, learnmart.cli.main; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('altair', 'vl_convert', 'jsonschema') "
        "or m == 'learnmart.report')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_report_usage_errors_exit_2(tmp_path):
    assert run_cli("report", "--db", str(tmp_path / "none.duckdb"), "--out", str(tmp_path / "r.html")).returncode == 2
    result = run_cli("report", "--out", str(tmp_path / "no" / "r.html"))
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert not (tmp_path / "r.html").exists()


# ---------------------------------------------------------------------------- built warehouses


def _figure(page: str, key: str) -> str:
    start = page.index(f'data-chart="{key}"')
    return page[start : page.index("</figure>", start)]


def test_every_chart_is_drawn_from_its_mart(cjk_db, tmp_path):
    page = _report(cjk_db, tmp_path / "report.html")
    found = _parse(page)
    assert set(found.drawn) == DRAWN
    assert set(found.empty) == {"evaluation"}
    with duckdb.connect(str(cjk_db), read_only=True) as con:
        users, paying = con.execute(
            "select count(*), count(*) filter (where frequency > 0) from user_features"
        ).fetchone()
        segments = [r[0] for r in con.execute("select rfm_segment from segment_summary").fetchall()]
        categories = [r[0] for r in con.execute("select distinct category from category_demand").fetchall()]
        top = con.execute("select title from course_summary order by recommended_users desc, course_id").fetchone()[0]
    assert f'<div class="value">{users:,}</div><div class="label">users</div>' in page
    assert f'<div class="value">{paying:,}</div><div class="label">paying users</div>' in page
    for name in segments:
        assert f">{html.escape(name, quote=False)}</text>" in _figure(page, "segments")
    assert set(CJK_CATEGORIES.values()) | {HOSTILE_TITLE} <= set(categories)
    for name in set(categories) - {HOSTILE_TITLE}:
        assert f">{html.escape(name, quote=False)}</text>" in _figure(page, "category_demand")
    assert ">&lt;img src=" in _figure(page, "category_demand")  # a label (cut short at the label limit)
    assert f">{html.escape(top, quote=False)}</text>" in _figure(page, "top_courses")
    assert not {"script", "img"} & found.tags and [u for u in found.links if "//" in u] == []
    assert len(found.ids) == len(set(found.ids))  # each chart's clip paths and gradients are its own


def _browser() -> str:
    """Chromium's path, or skip (fail under CI) when it is missing."""
    binary = find_chromium()
    if binary is None:
        reason = "no Chromium: `make install` installs Debian's chromium with apt-get"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return binary


# every drawn chart: its figure key, the SVG's box on the page, and the marks Vega drew in it
CHART_BOXES = """
[...document.querySelectorAll('figure.chart')].map(f => {
    const svg = f.querySelector('svg');
    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    return {key: f.dataset.chart, width: box.width, height: box.height,
            marks: svg ? svg.querySelectorAll('[class~="role-mark"] > *').length : 0};
})
"""
# the first chart label that is exactly `text`, marked so DevTools can find it
PROBE = """
(() => {
    const node = [...document.querySelectorAll('svg text')].find(t => t.textContent === %s);
    if (node) node.setAttribute('data-probe', '1');
    return Boolean(node);
})()
"""
CJK_FONT = re.compile(r"CJK|Hei|Song|Ming|Kai|Gothic|YaHei|PingFang|WenQuanYi|Fallback", re.I)


def test_chromium_draws_every_chart_offline_with_chinese_labels(cjk_db, tmp_path):
    binary = _browser()
    out = tmp_path / "report.html"
    _report(cjk_db, out)
    with Chromium(binary) as browser:
        tab = Page(browser, out.resolve().as_uri())
        boxes = tab.evaluate(CHART_BOXES)
        assert tab.evaluate(PROBE % json.dumps(CJK_CATEGORIES["programming"]))
        fonts = tab.fonts_for("[data-probe]")
        shot = tab.screenshot(tmp_path / "report.png")
        requests, errors = tab.requests(), tab.errors()
    print(f"screenshot: {shot}")
    assert requests == [out.resolve().as_uri()]
    assert errors == []
    assert {b["key"] for b in boxes} == DRAWN
    for box in boxes:
        assert box["width"] > 100 and box["height"] > 50 and box["marks"] > 0, box
    assert any(CJK_FONT.search(f["familyName"]) and f["glyphCount"] for f in fonts), fonts
    assert shot.stat().st_size > 50_000


def test_the_browser_check_sees_a_page_that_reaches_out(tmp_path):
    """The check itself: under the report's CSP, a page that fetches an image and runs a script is caught."""
    from learnmart.report import CSP

    bad = tmp_path / "bad.html"
    bad.write_text(
        f'<!doctype html><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<img src="https://example.com/x.png"><script>console.error("it ran")</script>'
    )
    with Chromium(_browser()) as browser:
        tab = Page(browser, bad.as_uri())
        requests, errors = tab.requests(), tab.errors()
    assert "https://example.com/x.png" in requests
    assert any("Content Security Policy" in e and "img-src" in e for e in errors), errors
    assert any("inline script" in e for e in errors) and not any("it ran" in e for e in errors), errors


def test_an_export_of_ratings_only_says_what_it_cannot_show(edge_db, tmp_path):
    """No purchases, no courses file, no users, no campaign sends: sections say so, and the page still renders."""
    out = tmp_path / "edge.html"
    page = _report(edge_db, out)
    found = _parse(page)
    assert {"rfm_grid", "calibration", "auc", "audiences", "uplift", "category_demand", "rejects"} <= set(found.empty)
    assert {"segments", "lifecycle", "segment_flow", "selection", "top_courses"} <= set(found.drawn)
    assert "No campaign has been sent" in page and "no courses file" in page and "nobody paid" in page
    assert page.index('id="health"') < page.index('id="headline"') and 'class="status-fail"' in page
    assert 'n/a</div><div class="label">repeat rate' in page
    with Chromium(_browser()) as browser:
        tab = Page(browser, out.resolve().as_uri())
        boxes = tab.evaluate(CHART_BOXES)
        tab.screenshot(tmp_path / "edge.png")
        requests, errors = tab.requests(), tab.errors()
    assert requests == [out.resolve().as_uri()] and errors == []
    assert {b["key"] for b in boxes} == set(found.drawn) and all(b["marks"] > 0 for b in boxes)
