"""The plan: whether a build has nothing to do, can be incremental, or must be full, and why.

``plan`` is a pure function of what the published file says about itself (``Published``,
read by ``read_published``) and of this build's request and fingerprints: it touches no
file, runs no dbt, and reads no clock (``now`` is an argument).

- **up to date**: the published file has this build's fingerprint and inputs fingerprint,
  and none of its verdicts has expired since (``verdicts_valid_until``, a column the
  warehouse computes: int_build_context_resolved says until when its wall-clock verdicts hold).
  Building again would publish what it holds, so nothing runs.
- **incremental**: the same build fingerprint: the new file starts from the published
  incremental tables, which then read only the raw files no earlier build loaded.
- **partial** (``--select``): a copy of the published file, with the selection rebuilt.
- **full**: anything else, with the reason in a few words.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from pathlib import Path


class Kind(enum.StrEnum):
    UP_TO_DATE = "up to date"
    INCREMENTAL = "incremental"
    PARTIAL = "partial"
    FULL = "full"


@dataclass(frozen=True)
class Published:
    """What the published file says about the build that made it (int_build_context_resolved).

    ``exists`` False: no file. ``build_fingerprint`` None: the file has no readable build
    context (built by dbt directly or by an older learnmart). ``inputs_fingerprint`` is ""
    after a partial build. ``verdicts_valid_until`` None: no verdict depends on the wall clock.
    ``incremental_tables``: (schema, table) of the models it built incrementally.
    """

    exists: bool = False
    build_fingerprint: str | None = None
    inputs_fingerprint: str = ""
    built_at: dt.datetime | None = None
    verdicts_valid_until: dt.datetime | None = None
    incremental_tables: tuple[tuple[str, str], ...] = ()
    # built before the intermediate models were renamed (its context is int_build_context)
    before_renames: bool = False


@dataclass(frozen=True)
class Request:
    """This build: its two fingerprints (``inputs`` is "" for a partial build) and options."""

    fingerprint: str
    inputs: str
    full_refresh: bool = False
    select: str | None = None
    skip_up_to_date: bool = True


@dataclass(frozen=True)
class Plan:
    kind: Kind
    # why a full build (the message's "a full build: ..."); "" for every other kind
    reason: str = ""
    # up to date: when the published file was built
    built_at: dt.datetime | None = None


def plan(published: Published, request: Request, now: dt.datetime) -> Plan:
    """What this build does, and why (``now``: the wall clock, UTC without offset)."""
    if request.select:
        if published.before_renames:
            from learnmart.warehouse.errors import BuildEnvironmentError

            raise BuildEnvironmentError(
                "the published file was built by a learnmart from before its models were renamed, so "
                "--select would rebuild models over tables it does not have: build once without --select"
            )
        return Plan(Kind.PARTIAL)
    if request.full_refresh:
        return Plan(Kind.FULL, "--full-refresh")
    if request.skip_up_to_date and is_up_to_date(published, request, now):
        return Plan(Kind.UP_TO_DATE, built_at=published.built_at)
    if not published.exists:
        return Plan(Kind.FULL, "no published file yet")
    if published.build_fingerprint is None:
        return Plan(
            Kind.FULL,
            "the published file has no build fingerprint (built by dbt directly or by an older learnmart)",
        )
    if published.build_fingerprint != request.fingerprint:
        return Plan(
            Kind.FULL, "the data folder, as-of, vars, project, UDFs or profile differ from the published build's"
        )
    return Plan(Kind.INCREMENTAL)


def is_up_to_date(published: Published, request: Request, now: dt.datetime) -> bool:
    """Building again would publish what the published file holds: both fingerprints match
    and none of its wall-clock verdicts has expired."""
    if not request.inputs or not published.exists or published.built_at is None:
        return False
    if (published.build_fingerprint, published.inputs_fingerprint) != (request.fingerprint, request.inputs):
        return False
    return published.verdicts_valid_until is None or published.verdicts_valid_until > now


# the published file predates one of the incremental models: its tables cannot be carried over
PREDATES_INCREMENTAL = "the published file predates one of the incremental models"


def _has_legacy_context(db: Path) -> bool:
    import duckdb

    try:
        with duckdb.connect(str(db), read_only=True) as con:
            return bool(
                con.execute(
                    "select count(*) from information_schema.tables "
                    "where table_schema = 'intermediate' and table_name = 'int_build_context'"
                ).fetchone()[0]
            )
    except duckdb.Error:
        return False


def read_published(db: Path) -> Published:
    """What ``db`` says about its build; an unreadable file or build context says nothing."""
    if not db.exists():
        return Published()
    import duckdb

    try:
        with duckdb.connect(str(db), read_only=True) as con:
            cur = con.execute("select * from intermediate.int_build_context_resolved")
            rows = cur.fetchall()
            names = [d[0] for d in cur.description]
    except duckdb.Error:
        return Published(exists=True, before_renames=_has_legacy_context(db))  # not a current learnmart build
    if len(rows) != 1:
        return Published(exists=True)
    context = dict(zip(names, rows[0], strict=True))
    incremental = tuple(tuple(name.split(".", 1)) for name in context.get("incremental_tables") or ())
    return Published(
        exists=True,
        build_fingerprint=context.get("build_fingerprint"),
        inputs_fingerprint=context.get("inputs_fingerprint") or "",
        built_at=context.get("built_at"),
        # a file from before this column judged no verdict by it: treat it as expired
        verdicts_valid_until=context["verdicts_valid_until"]
        if "verdicts_valid_until" in context
        else context.get("built_at"),
        incremental_tables=incremental,
    )
