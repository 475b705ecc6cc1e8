"""`learnmart report`: one self-contained HTML page of charts over a built warehouse.

Every chart is one query on a mart and one Vega-Lite spec built with altair. vl-convert
renders each spec to SVG when the report is written, and the SVG goes inline into the
page: the page holds no script, so nothing in it can fetch anything, it looks the same in
every browser and in print, and a Content-Security-Policy that allows no source at all
proves it. The report adds no business logic: what a number means is the mart's business.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import html
import os
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import altair as alt
import vl_convert as vlc

from learnmart.raw_files import RAW_ENTITIES

# No source of any kind: the SVG charts and the styles are inline, and a data: image is
# all a browser's own rendering might ask for.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

# Applied to every chart; Vega's own default font is sans-serif, which a browser resolves
# with a CJK fallback, and which vl-convert measures with the system's fonts.
VEGA_CONFIG = {
    "font": "sans-serif",
    "axis": {"labelFontSize": 11, "titleFontSize": 11, "labelLimit": 260},
    "legend": {"labelFontSize": 11, "titleFontSize": 11, "orient": "bottom"},
    "view": {"stroke": None},
}

REJECTED_MARTS = tuple(f"rejected_{entity}" for entity in RAW_ENTITIES)
LIFECYCLE_ORDER = ["prospect", "new", "active", "at_risk", "dormant", "churned", "refunded"]
TREATMENT_COLORS = alt.Scale(domain=["treatment", "control"], range=["#4c78a8", "#bab0ac"])
ROLE_COLORS = alt.Scale(domain=["chosen", "popularity baseline", "candidate"], range=["#e45756", "#bab0ac", "#4c78a8"])

Rows = list[dict[str, Any]]


@dataclasses.dataclass(frozen=True)
class Chart:
    """One chart: the marts it reads, its one query, how to draw the rows, what to say without any."""

    key: str
    title: str
    tables: tuple[str, ...]
    sql: str
    draw: Callable[[Rows], alt.TopLevelMixin]
    empty: str
    note: Callable[[Rows], str] | None = None


@dataclasses.dataclass
class ReportResult:
    path: Path
    charts: list[str]  # keys of the charts drawn
    without_data: list[str]  # keys of the charts whose marts had nothing to show
    seconds: float


# ---------------------------------------------------------------------------- queries


def tables_in(con) -> set[str]:
    sql = "select table_name from duckdb_tables() where schema_name = 'main' and database_name = current_database()"
    return {name for (name,) in con.execute(sql).fetchall()}


def _plain(value: Any) -> Any:
    """A JSON-ready value: decimals as floats, timestamps as ISO text."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def fetch_rows(con, sql: str) -> Rows:
    cur = con.execute(sql)
    columns = [d[0] for d in cur.description]
    return [{c: _plain(v) for c, v in zip(columns, row, strict=True)} for row in cur.fetchall()]


def _rejects_sql(tables: set[str]) -> str:
    """Rejected rows by entity and reason, over whichever rejected_* marts the build has."""
    parts = [
        f"select '{name.removeprefix('rejected_')}' as entity, reject_reason, count(*) as rows from {name} group by all"
        for name in REJECTED_MARTS
        if name in tables
    ]
    return " union all ".join(parts) + " order by rows desc, entity, reject_reason" if parts else ""


# ---------------------------------------------------------------------------- chart specs


def _data(rows: Rows) -> alt.Data:
    return alt.Data(values=rows)


def _order(rows: Rows, field: str) -> list:
    """The field's values in the query's order (what the chart sorts by), without repeats or NULL."""
    return [v for v in dict.fromkeys(r[field] for r in rows) if v is not None]


def _bars(rows: Rows, y: str, x: str, *, x_title: str, fmt: str = ",.0f", color: alt.Color | None = None):
    """Horizontal bars in the query's order, each labelled with its value."""
    order = _order(rows, y)
    base = alt.Chart(_data(rows)).encode(
        y=alt.Y(f"{y}:N", sort=order, title=None),
        x=alt.X(f"{x}:Q", title=x_title, axis=alt.Axis(format=fmt, tickCount=6)),
    )
    bars = base.mark_bar().encode(color=color) if color is not None else base.mark_bar()
    text = base.mark_text(align="left", dx=3, fontSize=10).encode(text=alt.Text(f"{x}:Q", format=fmt))
    return (bars + text).properties(width=420, height=alt.Step(18))


def _grouped(rows: Rows, y: str, measures: Sequence[str], *, x_title: str, fmt: str):
    """Bars of several measures side by side per category (folded), in the query's order."""
    order = _order(rows, y)
    return (
        alt.Chart(_data(rows))
        .transform_fold(list(measures), as_=["measure", "value"])
        .mark_bar()
        .encode(
            y=alt.Y(f"{y}:N", sort=order, title=None),
            x=alt.X("value:Q", title=x_title, axis=alt.Axis(format=fmt)),
            yOffset=alt.YOffset("measure:N", sort=list(measures)),
            color=alt.Color("measure:N", sort=list(measures), title=None),
        )
        .properties(width=420, height=alt.Step(10))
    )


def _heatmap(rows: Rows, x: str, y: str, value: str, *, fmt: str, scheme: str = "blues", y_sort="ascending", **scale):
    """Cells coloured by ``value`` and labelled with it; light text on the darker half."""
    values = [r[value] for r in rows if r[value] is not None]
    middle = (min(values) + max(values)) / 2 if values else 0
    base = alt.Chart(_data(rows)).encode(
        x=alt.X(f"{x}:O", title=x.replace("_", " "), axis=alt.Axis(labelAngle=-40, labelLimit=140)),
        y=alt.Y(f"{y}:O", title=y.replace("_", " "), sort=y_sort),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(f"{value}:Q", title=value.replace("_", " "), scale=alt.Scale(scheme=scheme, **scale))
    )
    text = base.mark_text(fontSize=10).encode(
        text=alt.Text(f"{value}:Q", format=fmt),
        color=alt.condition(f"datum['{value}'] > {middle}", alt.value("white"), alt.value("black")),
    )
    if scale.get("domainMid") is not None:  # diverging: dark at both ends
        text = text.encode(color=alt.value("black"))
    return (cells + text).properties(width=alt.Step(34), height=alt.Step(24))


def _intervals(rows: Rows, y: str, value: str, low: str, high: str, *, x_title: str, fmt: str, labels: bool = True):
    """A point per row with its interval, beside a rule at zero."""
    axis = alt.Axis() if labels else None
    base = alt.Chart(_data(rows)).encode(y=alt.Y(f"{y}:N", title=None, sort=_order(rows, y), axis=axis))
    line = base.mark_rule().encode(x=alt.X(f"{low}:Q", title=x_title, axis=alt.Axis(format=fmt)), x2=f"{high}:Q")
    point = base.mark_point(filled=True, size=60).encode(x=f"{value}:Q")
    zero = alt.Chart().mark_rule(strokeDash=[4, 3], color="#888").encode(x=alt.datum(0))
    return alt.layer(line, point, zero).properties(width=300, height=alt.Step(26))


def draw_rejects(rows: Rows):
    return _bars(rows, "reject_reason", "rows", x_title="rejected rows", color=alt.Color("entity:N", title="entity"))


def draw_segments(rows: Rows):
    return _grouped(rows, "rfm_segment", ["share of users", "share of revenue"], x_title="share", fmt=".0%")


def draw_rfm_grid(rows: Rows):
    cell = {"x": "f_score", "y": "r_score", "y_sort": "descending"}  # recent buyers (R 5) on top
    users = _heatmap(rows, value="users", fmt=",.0f", **cell).properties(title="users")
    revenue = _heatmap(rows, value="revenue", fmt=".3~s", scheme="greens", **cell).properties(title="revenue")
    return alt.hconcat(users, revenue).resolve_scale(color="independent")


def draw_lifecycle(rows: Rows):
    base = alt.Chart(_data(rows)).encode(y=alt.Y("lifecycle_stage:N", sort=LIFECYCLE_ORDER, title=None))
    bars = base.mark_bar().encode(
        x=alt.X("users:Q", stack="center", axis=None), color=alt.Color("lifecycle_stage:N", legend=None)
    )
    text = base.mark_text(fontSize=11).encode(text=alt.Text("users:Q", format=","), color=alt.value("black"))
    return (bars + text).properties(width=420, height=alt.Step(26))


def draw_segment_flow(rows: Rows):
    return _heatmap(rows, "to_segment", "from_segment", "users", fmt=",.0f", scheme="purples")


def draw_calibration(rows: Rows):
    return (
        alt.Chart(_data(rows))
        .transform_fold(["predicted", "observed"], as_=["measure", "rate"])
        .mark_line(point=True)
        .encode(
            x=alt.X("decile:O", title="decile of purchase propensity"),
            y=alt.Y("rate:Q", title="buyers in the next window", axis=alt.Axis(format=".0%")),
            color=alt.Color("measure:N", sort=["predicted", "observed"], title=None),
        )
        .properties(width=420, height=220)
    )


def draw_auc(rows: Rows):
    base = alt.Chart().encode(
        y=alt.Y("ranker:N", title=None, sort=_order(rows, "ranker")),
        x=alt.X("auc:Q", title="out-of-time AUC", scale=alt.Scale(domain=[0, 1])),
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "role:N", title=None, scale=alt.Scale(domain=["champion", "other"], range=["#e45756", "#4c78a8"])
        )
    )
    text = base.mark_text(align="left", dx=3, fontSize=10).encode(text=alt.Text("auc:Q", format=".3f"))
    chance = alt.Chart().mark_rule(strokeDash=[4, 3], color="#888").encode(x=alt.datum(0.5))
    return (
        alt.layer(bars, text, chance, data=_data(rows))
        .properties(width=220, height=alt.Step(18))
        .facet(column=alt.Column("population:N", title=None))
    )


def draw_selection(rows: Rows):
    return _bars(
        rows,
        "candidate",
        "ndcg",
        x_title="nDCG@k on held-out courses",
        fmt=".3f",
        color=alt.Color("role:N", title=None, scale=ROLE_COLORS),
    )


def draw_evaluation(rows: Rows):
    return (
        alt.Chart(_data(rows))
        .mark_bar()
        .encode(
            y=alt.Y("ranker:N", title=None),
            x=alt.X("ndcg_at_k:Q", title="nDCG@k"),
            color=alt.Color("ranker:N", legend=None),
        )
        .properties(width=220, height=alt.Step(18))
        .facet(column=alt.Column("split:N", title=None))
    )


def draw_top_courses(rows: Rows):
    return _grouped(rows, "course", ["recommended to", "engaged"], x_title="users", fmt=",.0f")


def draw_audiences(rows: Rows):
    order = _order(rows, "campaign")
    return (
        alt.Chart(_data(rows))
        .mark_bar()
        .encode(
            y=alt.Y("campaign:N", sort=order, title=None),
            x=alt.X("users:Q", title="users", axis=alt.Axis(format=",.0f")),
            color=alt.Color("group:N", title=None, scale=TREATMENT_COLORS),
            order=alt.Order("group:N", sort="descending"),
        )
        .properties(width=420, height=alt.Step(20))
    )


def draw_uplift(rows: Rows):
    conversion = _intervals(
        rows,
        "campaign",
        "conversion_uplift",
        "conversion_uplift_ci_low",
        "conversion_uplift_ci_high",
        x_title="conversion uplift (95% interval)",
        fmt=".0%",
    )
    revenue = _intervals(
        rows,
        "campaign",
        "revenue_uplift_per_user",
        "revenue_uplift_ci_low",
        "revenue_uplift_ci_high",
        x_title="revenue uplift per user (95% interval)",
        fmt=",.0f",
        labels=False,
    )
    return alt.hconcat(conversion, revenue)


def draw_category_demand(rows: Rows):
    return _heatmap(rows, "category", "rfm_segment", "gap_index", fmt=".1f", scheme="blueorange", domainMid=1)


def draw_counts(label: str):
    def draw(rows: Rows):
        return _bars(rows, label, "users", x_title="users")

    return draw


# ---------------------------------------------------------------------------- the charts


def _flow_note(rows: Rows) -> str:
    return f"From the segment on {rows[0]['from_as_of'][:10]} to the segment on {rows[0]['to_as_of'][:10]}."


def _selection_note(rows: Rows) -> str:
    chosen = [r["candidate"] for r in rows if r["role"] == "chosen"]
    return f"Chosen: {chosen[0] if chosen else 'none'}; {rows[0]['status']}."


def _audience_note(rows: Rows) -> str:
    return "Control users are held out of the send, so the campaign's effect can be measured against them."


def _uplift_note(rows: Rows) -> str:
    return "Treatment minus control; an interval that crosses zero is no evidence of an effect."


CHARTS: dict[str, Chart] = {
    c.key: c
    for c in [
        Chart(
            "rejects",
            "Rejected raw rows by reason",
            (),
            "",
            draw_rejects,
            "No raw row was rejected: every row read was accepted.",
        ),
        Chart(
            "segments",
            "RFM segments: share of users and of revenue",
            ("segment_summary",),
            """
            select rfm_segment, users, revenue,
                   share_of_users as "share of users", share_of_revenue as "share of revenue"
            from segment_summary order by revenue desc, users desc, rfm_segment
            """,
            draw_segments,
            "segment_summary is empty: the build saw no users.",
        ),
        Chart(
            "rfm_grid",
            "R x F grid: users and revenue per cell",
            ("user_segments", "user_features"),
            """
            select s.r_score, s.f_score, count(*) as users, coalesce(sum(f.monetary), 0) as revenue
            from user_segments as s
            inner join user_features as f on s.user_key = f.user_key
            where s.r_score is not null and s.f_score is not null
            group by all order by all
            """,
            draw_rfm_grid,
            "No user has R and F scores: they score paying users, and nobody paid in the window.",
        ),
        Chart(
            "lifecycle",
            "Lifecycle stages",
            ("user_segments",),
            "select lifecycle_stage, count(*) as users from user_segments group by all order by all",
            draw_lifecycle,
            "user_segments is empty: the build saw no users.",
        ),
        Chart(
            "segment_flow",
            "Segment flow over the last window (users moving from row to column)",
            ("segment_flow",),
            "select from_segment, to_segment, users, from_as_of, to_as_of from segment_flow order by all",
            draw_segment_flow,
            "segment_flow is empty: the build saw no users.",
            _flow_note,
        ),
        Chart(
            "calibration",
            "Purchase propensity: predicted against observed buyers by decile",
            ("propensity_calibration",),
            """
            select decile, users, mean_predicted as predicted, observed_rate as observed
            from propensity_calibration order by decile
            """,
            draw_calibration,
            "Purchase propensity is not scored in this build (the model health above says why), "
            "so there are no deciles to compare.",
        ),
        Chart(
            "auc",
            "Purchase propensity: the model beside BG/NBD and RFM (out-of-time AUC)",
            ("propensity_evaluation",),
            """
            select population, ranker, auc, users, positives,
                   case when is_champion then 'champion' else 'other' end as role
            from propensity_evaluation where auc is not null order by population, auc desc, ranker
            """,
            draw_auc,
            "No ranker could be judged: the evaluation window had no buyers.",
        ),
        Chart(
            "selection",
            "Recommenders on held-out courses: the chosen one against popularity",
            ("recommender_selection",),
            """
            select candidate, ndcg, map, recall, coverage, users, status,
                   case when chosen then 'chosen' when kind = 'popularity' then 'popularity baseline'
                        else 'candidate' end as role
            from recommender_selection where ndcg is not null order by ndcg desc, candidate
            """,
            draw_selection,
            "No recommender could be judged: no user had held-out courses.",
            _selection_note,
        ),
        Chart(
            "evaluation",
            "Offline evaluation: the model against popularity",
            ("recommendation_evaluation",),
            """
            select split, ranker, ndcg_at_k, precision_at_k, recall_at_k, users
            from recommendation_evaluation where users > 0 order by split, ndcg_at_k desc
            """,
            draw_evaluation,
            "Only an evaluation build (learnmart evaluate --db FILE) fills recommendation_evaluation; "
            "this build's recommender was chosen on the held-out courses above.",
        ),
        Chart(
            "top_courses",
            "Courses recommended to the most users",
            ("course_summary",),
            """
            with labelled as (select *, coalesce(title, course_id) as label from course_summary)
            select case when count(*) over (partition by label) > 1 then label || ' · ' || course_id
                        else label end as course,
                   recommended_users as "recommended to", engaged_users as engaged
            from labelled where recommended_users > 0
            order by recommended_users desc, engaged_users desc, course_id limit 15
            """,
            draw_top_courses,
            "No course is recommended to anyone.",
        ),
        Chart(
            "audiences",
            "Campaign audiences: treatment and control",
            ("campaign_audiences",),
            """
            with sizes as (select campaign, "group", count(*) as users from campaign_audiences group by all)
            select campaign, "group", users from sizes
            order by sum(users) over (partition by campaign) desc, campaign, "group"
            """,
            draw_audiences,
            "No campaign has an audience: no playbook matched a user who consented to marketing and is not suppressed.",
            _audience_note,
        ),
        Chart(
            "uplift",
            "Campaign uplift with 95% intervals",
            ("campaign_results",),
            """
            select campaign || case when window_complete then '' else ' (window still open)' end as campaign,
                   conversion_uplift, conversion_uplift_ci_low, conversion_uplift_ci_high,
                   revenue_uplift_per_user, revenue_uplift_ci_low, revenue_uplift_ci_high,
                   treatment_users, control_users
            from campaign_results order by campaign
            """,
            draw_uplift,
            "No campaign has been sent (no campaign_sends in the data), so there is no uplift to show.",
            _uplift_note,
        ),
        Chart(
            "category_demand",
            "Category demand against supply by segment (gap index; above 1: under-supplied)",
            ("category_demand",),
            """
            select rfm_segment, coalesce(category, '(none)') as category, gap_index, engaged_users, courses
            from category_demand where gap_index is not null order by all
            """,
            draw_category_demand,
            "No category demand: the data has no courses file, or no course has a category.",
        ),
        Chart(
            "clusters",
            "Behavioural clusters",
            ("user_clusters",),
            "select cluster_name, count(*) as users from user_clusters group by all order by users desc, cluster_name",
            draw_counts("cluster_name"),
            "user_clusters is empty.",
        ),
        Chart(
            "tags",
            "User tags (the 20 largest)",
            ("user_tags",),
            "select tag, count(*) as users from user_tags group by all order by users desc, tag limit 20",
            draw_counts("tag"),
            "user_tags is empty.",
        ),
    ]
}

SECTIONS: list[tuple[str, str, list[str]]] = [
    ("quality", "Data quality", ["rejects"]),
    ("segments", "Segments and lifecycle", ["segments", "rfm_grid", "lifecycle", "segment_flow"]),
    ("propensity", "Purchase propensity", ["calibration", "auc"]),
    ("recommendations", "Recommendations", ["selection", "evaluation", "top_courses"]),
    ("campaigns", "Campaigns", ["audiences", "uplift"]),
    ("demand", "Category demand", ["category_demand"]),
    ("clusters", "Clusters and tags", ["clusters", "tags"]),
]


# Read by the page's own blocks (header, model health, headline figures), outside any chart.
PAGE_MARTS = ("build_summary", "model_health", "user_features")


def marts_read() -> set[str]:
    """Every mart the report reads, as the dbt exposure learnmart_report declares them."""
    charts = {table for chart in CHARTS.values() for table in chart.tables}
    return charts | set(REJECTED_MARTS) | set(PAGE_MARTS)


# ---------------------------------------------------------------------------- rendering


def render_svg(spec: dict, prefix: str) -> str:
    """The spec as an inline SVG whose ids (clip paths, gradients) carry ``prefix``, so that
    several charts in one page never point at each other's."""
    svg = vlc.vegalite_to_svg(spec, config=VEGA_CONFIG, allowed_base_urls=[])
    svg = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", svg)
    return re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', svg)


def chart_sql(chart: Chart, tables: set[str]) -> str:
    """The chart's one query (the rejects chart's spans whichever rejected_* marts exist)."""
    return _rejects_sql(tables) if chart.key == "rejects" else chart.sql


def _figure(chart: Chart, tables: set[str], con) -> tuple[str, bool]:
    """The chart's HTML and whether it was drawn; a missing mart or no rows is said in words."""
    title = f"<h3>{html.escape(chart.title)}</h3>"
    missing = [t for t in chart.tables if t not in tables]
    sql = chart_sql(chart, tables)
    if missing:
        text = f"This warehouse has no {', '.join(missing)} mart: rebuild it with this learnmart."
    elif not sql:
        text = "This warehouse has no rejected_* marts."
    else:
        rows = fetch_rows(con, sql)
        if rows:
            svg = render_svg(chart.draw(rows).to_dict(), prefix=f"c-{chart.key}")
            note = f'<p class="note">{html.escape(chart.note(rows))}</p>' if chart.note else ""
            return f'<figure class="chart" data-chart="{chart.key}">{title}{svg}{note}</figure>', True
        text = chart.empty
    return f'<figure class="empty" data-empty="{chart.key}">{title}<p>{html.escape(text)}</p></figure>', False


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]], classes: Sequence[str] = ()) -> str:
    """A small HTML table; numbers right-aligned with thousands separators, everything escaped."""

    def cell(value: Any) -> str:
        if isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool):
            text = f"{value:,}" if isinstance(value, int) else f"{float(value):,.4g}"
            return f'<td class="num">{text}</td>'
        return f"<td>{html.escape('' if value is None else str(value))}</td>"

    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        f'<tr class="{html.escape(cls)}">' + "".join(cell(v) for v in row) + "</tr>"
        for row, cls in zip(rows, [*classes, *[""] * len(rows)], strict=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _health(con, tables: set[str]) -> str:
    """model_health checks that are not ok (fail first), or one line saying all are."""
    if "model_health" not in tables:
        return "<p>This warehouse has no model_health mart (built before it existed).</p>"
    rows = con.execute(
        """
        select status, area, check_name, message from model_health
        where status != 'ok' order by status = 'warn', area, check_name
        """
    ).fetchall()
    total = con.execute("select count(*) from model_health").fetchone()[0]
    if not rows:
        return f'<p class="ok">All {total} model health checks are ok.</p>'
    lead = f"<p>{len(rows)} of {total} model health checks are not ok:</p>"
    return lead + _table(["status", "area", "check", "message"], rows, [f"status-{r[0]}" for r in rows])


def _kpis(con, tables: set[str]) -> str:
    """Headline figures, each an aggregate of user_features."""
    if "user_features" not in tables:
        return "<p>This warehouse has no user_features mart.</p>"
    users, paying, revenue, repeat_rate = con.execute(
        """
        select count(*), count(*) filter (where frequency > 0), coalesce(sum(monetary), 0),
               count(*) filter (where frequency >= 2) / nullif(count(*) filter (where frequency > 0), 0)
        from user_features
        """
    ).fetchone()
    cards = [
        ("users", f"{users:,}"),
        ("paying users", f"{paying:,}"),
        ("net revenue", f"{float(revenue):,.0f}"),
        ("repeat rate (2+ orders, of paying)", "n/a" if repeat_rate is None else f"{repeat_rate:.1%}"),
    ]
    return (
        '<div class="kpis">'
        + "".join(
            f'<div class="kpi"><div class="value">{v}</div><div class="label">{html.escape(k)}</div></div>'
            for k, v in cards
        )
        + "</div>"
    )


def _build_summary(con, tables: set[str]) -> tuple[str, str]:
    """The raw-input table and a one-line window (as-of, events span), from build_summary."""
    if "build_summary" not in tables:
        return "<p>This warehouse has no build_summary mart.</p>", ""
    cur = con.execute(
        """
        select entity, rows_read, rows_accepted, rows_rejected, as_of, built_at, first_event_at, last_event_at
        from build_summary order by rows_read desc, entity
        """
    )
    rows = cur.fetchall()
    if not rows:
        return "<p>build_summary is empty.</p>", ""
    table = _table(["raw entity", "rows read", "accepted", "rejected"], [r[:4] for r in rows])
    as_of, built_at, first, last = rows[0][4:]

    def day(value):
        return value.strftime("%Y-%m-%d %H:%M") if value else "n/a"

    window = f"As of {day(as_of)} (events {day(first)} to {day(last)}), built {day(built_at)} UTC."
    return table, window


# ---------------------------------------------------------------------------- the page

STYLE = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", "PingFang SC",
       "Microsoft YaHei", sans-serif; color: #222; margin: 0 auto; padding: 24px; max-width: 1180px;
       line-height: 1.4; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 32px; }
h3 { font-size: 14px; margin: 0 0 8px; }
.sub, .note { color: #555; font-size: 13px; }
.charts { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
figure { margin: 0; max-width: 100%; }
figure.empty { max-width: 540px; color: #555; font-size: 13px; border: 1px dashed #ccc; padding: 10px 14px; }
svg { max-width: 100%; height: auto; }
.kpis { display: flex; flex-wrap: wrap; gap: 16px; }
.kpi { border: 1px solid #ddd; border-radius: 6px; padding: 10px 16px; min-width: 150px; }
.kpi .value { font-size: 24px; font-weight: 600; }
.kpi .label { color: #555; font-size: 12px; }
table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
th, td { border-bottom: 1px solid #eee; padding: 3px 10px; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.status-fail td:first-child { color: #fff; background: #c0392b; font-weight: 600; }
tr.status-warn td:first-child { background: #f5c542; font-weight: 600; }
.ok { color: #2e7d32; }
@page { size: A4; margin: 12mm; }
@media print {
  body { padding: 0; max-width: none; }
  section, figure, .kpis, table { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>learnmart report: {name}</title>
<style>{style}</style>
</head>
<body>
<header><h1>learnmart report</h1><p class="sub">{name}. {window}</p></header>
<section id="health"><h2>Model health</h2>{health}</section>
<section id="headline"><h2>Headline</h2>{kpis}</section>
{sections}
<footer><p class="sub">Written by learnmart report from the marts of {name}; every figure is one query
on a mart (dbt exposure <code>learnmart_report</code>). Charts: Vega-Lite through altair, rendered to SVG
by vl-convert.</p></footer>
</body>
</html>
"""


def _sections(con, tables: set[str], raw_table: str) -> tuple[str, list[str], list[str]]:
    """Every section's HTML, with the keys of the charts drawn and of those without data."""
    drawn: list[str] = []
    without: list[str] = []
    parts = []
    for key, title, chart_keys in SECTIONS:
        figures = []
        for chart_key in chart_keys:
            figure, ok = _figure(CHARTS[chart_key], tables, con)
            (drawn if ok else without).append(chart_key)
            figures.append(figure)
        lead = raw_table if key == "quality" else ""
        parts.append(
            f'<section id="{key}"><h2>{title}</h2>{lead}<div class="charts">{"".join(figures)}</div></section>'
        )
    return "\n".join(parts), drawn, without


def build_page(con, name: str) -> tuple[str, list[str], list[str]]:
    """The whole page for the warehouse on ``con``, with the charts drawn and those without data."""
    tables = tables_in(con)
    raw_table, window = _build_summary(con, tables)
    sections, drawn, without = _sections(con, tables, raw_table)
    page = PAGE.format(
        csp=CSP,
        name=html.escape(name),
        window=html.escape(window),
        style=STYLE,
        health=_health(con, tables),
        kpis=_kpis(con, tables),
        sections=sections,
    )
    return page, drawn, without


def write_report(con, out: Path, name: str) -> ReportResult:
    """Write the report for the warehouse on ``con`` to ``out``: beside it first, then renamed into place."""
    start = time.perf_counter()
    page, drawn, without = build_page(con, name)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(page, encoding="utf-8")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return ReportResult(out, drawn, without, time.perf_counter() - start)
