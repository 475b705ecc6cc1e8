"""One set of output options for every query command: table for people, json/csv for scripts.

Data goes to stdout; messages go to stderr.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import enum
import json
import sys
import unicodedata
from collections.abc import Sequence
from typing import Any

import typer

# Exit codes (as dbt's): 0 ok, 1 not found or checks failed, 2 usage or environment error.
EXIT_NOT_FOUND = 1
EXIT_ENV = 2
# What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection"): a text cell
# starting with one of these is written with a single quote before it.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class Format(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FORMAT_OPTION = typer.Option(
    Format.table, "--format", "-f", help="Output format: table for people, json or csv for scripts."
)


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def csv_safe(value: Any) -> Any:
    """A CSV cell no spreadsheet runs as a formula: text starting with =, +, -, @, tab or CR
    gets a leading single quote, as OWASP recommends; numbers and other text are as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _printable(text: str) -> str:
    """``text`` for a terminal: line breaks and tabs as spaces, other control characters
    (ESC and the sequences it starts, BEL, C1 codes) dropped, so no cell can move the
    cursor, clear the screen or rewrite the title."""
    text = " ".join(text.split("\n")).replace("\t", " ")
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cc")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    if isinstance(value, decimal.Decimal):
        return f"{value:,.2f}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    return str(value)


def render(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: Format, title: str | None = None) -> None:
    """Write rows to stdout in the requested format."""
    if fmt is Format.json:
        json.dump(
            [{c: _plain(v) for c, v in zip(columns, row, strict=True)} for row in rows],
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        sys.stdout.write("\n")
    elif fmt is Format.csv:
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            cells = ("" if v is None else _cell(v) if isinstance(v, list) else _plain(v) for v in row)
            writer.writerow([csv_safe(cell) for cell in cells])
    else:
        sys.stdout.write(text_table(columns, [[_cell(v) for v in row] for row in rows], title))


def _width(text: str) -> int:
    """Terminal columns of ``text``: wide (CJK) characters take two, combining marks none."""
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def text_table(columns: Sequence[str], rows: Sequence[Sequence[str]], title: str | None = None) -> str:
    """An aligned plain-text table (header, rule, rows), padded by display width.

    Plain text on purpose: rich's imports would be a large share of a cold `learnmart
    recommend`. Line breaks and tabs in a cell are shown as spaces,
    and other control characters are dropped (a course title is data, not terminal codes).
    """
    cells = [[_printable(str(c)) for c in row] for row in [columns, *rows]]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(columns))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=True)).rstrip()

    out = [_printable(title)] if title else []
    out += [line(cells[0]), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells[1:]]
    return "\n".join(out) + "\n"


def message(text: str) -> None:
    """A line for people, on stderr."""
    typer.echo(text, err=True)


def fail(text: str, code: int) -> typer.Exit:
    """Print one clear line on stderr and return the Exit to raise."""
    typer.echo(f"learnmart: {text}", err=True)
    return typer.Exit(code)
