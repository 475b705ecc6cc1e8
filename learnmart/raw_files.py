"""Which files of a data folder make up each raw entity of the contract (docs/raw_contract.md).

The one list of raw files: `learnmart build` hashes these files and hands dbt exactly this
list (its manifest, $LEARNMART_RAW_FILES_MANIFEST), and dbt run directly asks for the same
list through the UDF ``learnmart_raw_files`` (udfs/plugin.py), so the two can never read
different files. Paths are literal: nothing here or in the macros treats ``[``, ``*`` or
``?`` in a name as a pattern.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

# The raw entities of the contract, which Python needs before dbt runs (to find and hash
# their files); dbt's home for them is macro raw_contract, with their columns, which dbt
# needs while parsing. tests/unit/test_lists.py fails when the two differ.
RAW_ENTITIES = ("events", "courses", "users", "campaign_sends", "suppressions")
# What a data file's name ends with, in any case: DuckDB reads gzip-compressed CSV as it is.
DATA_SUFFIXES = (".parquet", ".csv", ".csv.gz")
# Folders a data folder may hold besides the entities: the generator's hidden ground truth,
# which the evaluation models read on purpose.
KNOWN_FOLDERS = ("truth",)
# Names that are never data, by the convention of Spark, Hive and DuckDB's own writers
# (_SUCCESS, _metadata, .crc checksums, editors' and macOS's hidden files).
HIDDEN_PREFIXES = (".", "_")


class RawFilesError(Exception):
    """A raw file that cannot be read safely (a FIFO, a device, unreadable): one line."""


@dataclass
class DataFolder:
    """The raw files of each entity (in path order) and everything else found (not read)."""

    files: dict[str, list[Path]] = field(default_factory=lambda: {entity: [] for entity in RAW_ENTITIES})
    ignored: list[Path] = field(default_factory=list)


def data_suffix(name: str) -> str | None:
    """The data suffix ``name`` ends with (lower-cased), or None; hidden names have none."""
    lower = name.lower()
    if lower.startswith(HIDDEN_PREFIXES):
        return None
    return next((suffix for suffix in DATA_SUFFIXES if lower.endswith(suffix)), None)


def scan(data: Path) -> DataFolder:
    """Every raw file in ``data``: ``<entity>.<suffix>`` and, recursively, every data file
    under a folder ``<entity>/``, names in any case. Raises RawFilesError for a data file
    that is not a regular file: reading a FIFO would block the build forever."""
    found = DataFolder()
    if not data.is_dir():
        return found
    seen: set[str] = set()
    for entry in _entries(data):
        suffix = data_suffix(entry.name)
        entity = entry.name.lower()[: -len(suffix)] if suffix else entry.name.lower()
        if entry.is_dir() and entity in found.files and not suffix:
            _walk(entry, found.files[entity], found.ignored, seen)
        elif suffix and entity in found.files:
            found.files[entity].append(_regular(entry))
        elif not (entry.is_dir() and entry.name in KNOWN_FOLDERS):
            found.ignored.append(entry)
    for files in found.files.values():
        files.sort(key=str)
    return found


def find(data: Path, entity: str) -> list[Path]:
    """The files that make up one raw entity in ``data`` (see scan)."""
    return scan(data).files[entity]


def sql_path(path: Path | str) -> str:
    """``path`` as a DuckDB string literal that its file readers take literally: they expand
    ``[``, ``*`` and ``?`` as glob patterns, so each is written as a one-character class."""
    text = str(path).replace("'", "''").replace("[", "[[]").replace("*", "[*]").replace("?", "[?]")
    return f"'{text}'"


def _entries(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir(), key=str)
    except OSError as exc:
        raise RawFilesError(f"cannot list {folder}: {exc.strerror}") from None


def _walk(folder: Path, files: list[Path], ignored: list[Path], seen: set[str]) -> None:
    """Data files under ``folder``, at any depth; a folder linked twice is read once."""
    real = os.path.realpath(folder)
    if real in seen:
        return
    seen.add(real)
    for entry in _entries(folder):
        if entry.is_dir() and not entry.name.startswith(HIDDEN_PREFIXES):
            _walk(entry, files, ignored, seen)
        elif data_suffix(entry.name):
            files.append(_regular(entry))
        else:
            ignored.append(entry)


def _regular(path: Path) -> Path:
    """``path`` if it is (or links to) a regular file; RawFilesError otherwise."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise RawFilesError(f"cannot read the raw file {path}: {exc.strerror}") from None
    if stat.S_ISDIR(mode):
        raise RawFilesError(f"the raw file {path} is a folder: name a folder of raw files after its entity alone")
    if not stat.S_ISREG(mode):
        raise RawFilesError(
            f"the raw file {path} is not a regular file (a FIFO, device or socket), and reading it could "
            "block forever: move it out of the data folder"
        )
    return path
