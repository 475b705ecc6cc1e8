"""OULAD (the Open University Learning Analytics Dataset) mapped into learnmart's raw contract.

    python -m learnmart.datagen.oulad --src ../shared/data/oulad --out data/oulad
                                      [--modules AAA,BBB] [--max-students 300]

A worked example of mapping a real export (docs/real_data.md has the mapping, field by
field, and every assumption it makes): a course is a module presentation
("AAA-2013J"), a registration is a purchase at a nominal price, an unregistration its
refund, a Pass or Distinction a completion, and a student's VLE clicks on one day of one
presentation a view. Writes ``courses.csv``, ``users.csv`` and ``events.parquet`` into
``out``. The source folder is only read; the click file is streamed out of its zip into
a temporary folder, because DuckDB cannot read inside a zip.

OULAD: Kuzilek J., Hlosta M., Zdrahal Z. (2017), Scientific Data 4, 170171, CC BY 4.0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import tempfile
import zipfile
from pathlib import Path

import duckdb

# OULAD gives days from each presentation's start; its code says the year and the month
# (B: February, J: October). The first of that month is an assumption: the day is not given.
PRESENTATION_MONTHS = {"B": 2, "J": 10}
# The Open University's fees are not in OULAD: every module gets the same nominal price.
NOMINAL_PRICE = 100
CURRENCY = "GBP"
# Hours of the day per event type (OULAD has days only), so that one day's events order
# as they happened: register, study, unregister, and a completion last.
EVENT_HOURS = {"purchase": 9, "view": 12, "refund": 18, "complete": 23}
OUTCOMES_COMPLETED = ("Pass", "Distinction")
CLICKS_MEMBER = "studentVle.txt"
MONTH_NAMES = {2: "February", 10: "October"}


def presentation_start(code_presentation: str) -> dt.date:
    """The assumed first day of a presentation: "2013J" -> 2013-10-01, "2014B" -> 2014-02-01."""
    year, letter = code_presentation[:4], code_presentation[4:]
    if not year.isdigit() or letter not in PRESENTATION_MONTHS:
        raise ValueError(f"presentation code {code_presentation!r} is not a year followed by B or J")
    return dt.date(int(year), PRESENTATION_MONTHS[letter], 1)


def _quoted(path: Path) -> str:
    """A path as an SQL string literal (views and COPY take no parameters)."""
    return "'" + str(path).replace("'", "''") + "'"


def _extract_clicks(src: Path, tmp: Path) -> Path:
    """studentVle.txt streamed out of studentVle.zip into ``tmp``."""
    target = tmp / CLICKS_MEMBER
    with zipfile.ZipFile(src / "studentVle.zip") as archive, archive.open(CLICKS_MEMBER) as f, open(target, "wb") as g:
        shutil.copyfileobj(f, g, length=1 << 20)
    return target


def _load_sources(con: duckdb.DuckDBPyConnection, src: Path, clicks: Path) -> None:
    """The OULAD files as text views, every registration's days, and the assumed calendar."""
    for name, path, delim in (
        ("o_courses", src / "courses.csv", ","),
        ("o_info", src / "studentInfo.csv", ","),
        ("o_reg", src / "studentRegistration.csv", ","),
        ("o_clicks", clicks, "\t"),
    ):
        con.execute(
            f"create view {name} as select * "
            f"from read_csv({_quoted(path)}, delim = '{delim}', header = true, all_varchar = true)"
        )
    # a registration without a date is taken as day 0, or as its unregistration day when that
    # is earlier, so that its refund never comes before its purchase
    con.execute(
        """
        create table registration_days as
        select
            code_module,
            code_presentation,
            id_student,
            coalesce(
                cast(date_registration as integer),
                least(0, coalesce(cast(date_unregistration as integer), 0))
            ) as registration_day,
            cast(date_unregistration as integer) as unregistration_day
        from o_reg
        """
    )
    codes = [row[0] for row in con.execute("select distinct code_presentation from o_courses order by 1").fetchall()]
    con.execute("create table calendar (code_presentation varchar, start_date date, month_name varchar)")
    con.executemany(
        "insert into calendar values (?, ?, ?)",
        [(code, presentation_start(code), MONTH_NAMES[presentation_start(code).month]) for code in codes],
    )


def _select_slice(con: duckdb.DuckDBPyConnection, modules: set[str] | None, max_students: int | None) -> None:
    """Tables presentations (of the slice's modules) and registrations (one row per student x
    presentation in the slice). With max_students, the students are those whose
    md5(id_student) sorts first: a fixed sample not tied to the order in which the
    university numbered them.
    """
    module_filter = "true" if modules is None else "code_module in (select unnest(?))"
    params = [] if modules is None else [sorted(modules)]
    con.execute(
        f"""
        create table presentations as
        select
            courses.code_module,
            courses.code_presentation,
            courses.code_module || '-' || courses.code_presentation as course_id,
            calendar.start_date,
            calendar.month_name,
            cast(courses.module_presentation_length as integer) as length_days
        from o_courses as courses
        inner join calendar using (code_presentation)
        where {module_filter}
        """,
        params,
    )
    limit = "" if max_students is None else f"limit {int(max_students)}"
    con.execute(
        f"""
        create table students as
        select id_student from (select distinct id_student from o_reg where {module_filter})
        order by md5(id_student), id_student
        {limit}
        """,
        params,
    )
    con.execute(
        """
        create table registrations as
        select
            reg.id_student,
            presentations.*,
            reg.registration_day,
            reg.unregistration_day,
            info.final_result,
            info.gender,
            info.age_band,
            info.region,
            info.highest_education,
            -- OULAD writes this one band without its percent sign
            case when info.imd_band = '10-20' then '10-20%' else info.imd_band end as imd_band
        from registration_days as reg
        inner join presentations using (code_module, code_presentation)
        inner join students using (id_student)
        inner join o_info as info using (code_module, code_presentation, id_student)
        """
    )


def _write_courses(con: duckdb.DuckDBPyConnection, out: Path) -> int:
    """One row per presentation of the slice's modules; published when its first student registered."""
    con.execute(
        f"""
        copy (
            with first_registration as (
                select code_module, code_presentation, least(0, min(registration_day)) as first_day
                from registration_days
                group by all
            )
            select
                course_id,
                'Module ' || code_module || ', ' || year(start_date) || ' ' || month_name as title,
                lower(code_module) as category,
                cast(null as varchar) as format,
                {NOMINAL_PRICE} as price,
                strftime(start_date + first_registration.first_day, '%Y-%m-%d %H:%M:%S') as published_at
            from presentations
            inner join first_registration using (code_module, code_presentation)
            order by course_id
        ) to {_quoted(out / "courses.csv")} (header true)
        """
    )
    return con.execute("select count(*) from presentations").fetchone()[0]


def _write_users(con: duckdb.DuckDBPyConnection, out: Path) -> int:
    """One row per student of the slice: signed up at the first registration, demographics
    from the latest presentation (72 of OULAD's students change band or region between
    presentations), and no marketing consent, which OULAD does not record."""
    con.execute(
        f"""
        copy (
            select
                id_student as user_id,
                strftime(min(start_date + registration_day) + interval {EVENT_HOURS["purchase"]} hour,
                         '%Y-%m-%d %H:%M:%S') as signup_ts,
                cast(null as varchar) as marketing_consent,
                arg_max(gender, (start_date, code_module)) as gender,
                arg_max(age_band, (start_date, code_module)) as age_band,
                arg_max(region, (start_date, code_module)) as region,
                arg_max(highest_education, (start_date, code_module)) as education,
                arg_max(imd_band, (start_date, code_module)) as imd_band
            from registrations
            group by id_student
            order by user_id
        ) to {_quoted(out / "users.csv")} (header true)
        """
    )
    return con.execute("select count(distinct id_student) from registrations").fetchone()[0]


def _event_rows_sql() -> str:
    """One select per event type, in the events file's columns."""

    def ts(day: str, event_type: str) -> str:
        return f"strftime(start_date + {day} + interval {EVENT_HOURS[event_type]} hour, '%Y-%m-%d %H:%M:%S')"

    def money(event_type: str, day: str, where: str) -> str:
        return f"""
            select course_id || ':' || id_student || ':{event_type}', id_student, course_id, '{event_type}',
                   {ts(day, event_type)}, {NOMINAL_PRICE}, '{CURRENCY}', cast(null as bigint)
            from registrations where {where}"""

    completed = ", ".join(f"'{outcome}'" for outcome in OUTCOMES_COMPLETED)
    return f"""
        {money("purchase", "registration_day", "true")}
        union all
        {money("refund", "unregistration_day", "unregistration_day is not null")}
        union all
        select course_id || ':' || id_student || ':complete', id_student, course_id, 'complete',
               {ts("length_days", "complete")}, null, null, null
        from registrations where final_result in ({completed})
        union all
        select course_id || ':' || id_student || ':view:' || day, id_student, course_id, 'view',
               {ts("day", "view")}, null, null, clicks
        from (
            select registrations.course_id, registrations.id_student, registrations.start_date,
                   cast(clicks.date as integer) as day, sum(cast(clicks.sum_click as bigint)) as clicks
            from o_clicks as clicks
            inner join registrations using (code_module, code_presentation, id_student)
            group by all
        )"""


def _write_events(con: duckdb.DuckDBPyConnection, out: Path) -> dict[str, int]:
    """events.parquet, ordered by time and id so that the same slice gives the same file."""
    con.execute(
        """
        create table events (
            event_id varchar, user_id varchar, course_id varchar, event_type varchar,
            event_ts varchar, amount integer, currency varchar, clicks bigint
        )
        """
    )
    con.execute(f"insert into events {_event_rows_sql()}")
    target = _quoted(out / "events.parquet")
    con.execute(f"copy (select * from events order by event_ts, event_id) to {target} (format parquet)")
    return dict(con.execute("select event_type, count(*) from events group by 1 order by 1").fetchall())


def convert(
    src: Path, out: Path, *, modules: set[str] | None = None, max_students: int | None = None
) -> dict[str, int]:
    """Write OULAD's ``src`` folder as courses.csv, users.csv and events.parquet in ``out``.

    ``modules`` keeps those code_modules only (e.g. {"AAA"}); ``max_students`` keeps a fixed
    sample of that many of their students. Returns the rows written: courses, users, events
    and events per type.
    """
    src, out = Path(src), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="learnmart-oulad-") as tmp:
        con = duckdb.connect()
        try:
            _load_sources(con, src, _extract_clicks(src, Path(tmp)))
            _select_slice(con, modules, max_students)
            counts = {"courses": _write_courses(con, out), "users": _write_users(con, out)}
            by_type = _write_events(con, out)
        finally:
            con.close()
    return {**counts, "events": sum(by_type.values()), **{t: by_type.get(t, 0) for t in EVENT_HOURS}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m learnmart.datagen.oulad", description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, required=True, help="the OULAD folder (courses.csv, studentVle.zip, ...)")
    parser.add_argument("--out", type=Path, required=True, help="the raw data folder to write")
    parser.add_argument("--modules", help="comma-separated code_modules to keep, e.g. AAA,BBB [default: all]")
    parser.add_argument("--max-students", type=int, help="keep a fixed sample of this many students")
    args = parser.parse_args(argv)
    modules = {m.strip().upper() for m in args.modules.split(",") if m.strip()} if args.modules else None
    counts = convert(args.src, args.out, modules=modules, max_students=args.max_students)
    print(", ".join(f"{name} {n:,}" for name, n in counts.items()) + f" -> {args.out}")


if __name__ == "__main__":
    main()
