"""What a build reads: the raw files (hashed whole), and the two fingerprints that say
whether the published file was built from the same project and settings (build) and from
the same files, salt and libraries (inputs)."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from learnmart import __version__, udfs
from learnmart import raw_files as data_folder
from learnmart.paths import project_dir
from learnmart.warehouse.errors import BuildEnvironmentError

# the source of the UDFs the models call (the top-level udfs/ folder of a checkout)
UDF_DIR = Path(udfs.__file__).resolve().parent
# the libraries whose version can change what a build computes (inputs_fingerprint) or how
# dbt runs the unit tests (unit_tests_fingerprint: dbt-adapters ships their materialization)
ENGINE_PACKAGES = ("duckdb", "dbt-core", "dbt-adapters", "dbt-common", "dbt-duckdb", "numpy")


@dataclass(frozen=True)
class RawFile:
    entity: str
    path: Path
    bytes: int
    sha256: str


def find_raw_files(data: Path, entity: str) -> list[Path]:
    """The files that make up one raw entity in a data directory (learnmart.raw_files.scan)."""
    try:
        return data_folder.find(data, entity)
    except data_folder.RawFilesError as exc:
        raise BuildEnvironmentError(str(exc)) from None


def raw_files(data: Path, warn: Callable[[str], None] | None = None) -> list[RawFile]:
    """Every raw file in ``data`` with its size and SHA-256 (learnmart.raw_files.scan says which
    files; ``warn`` gets one line naming everything else in the folder). Files are read whole:
    a file re-delivered with the same bytes matches its earlier self, and one changed in
    place does not, whatever its time stamp says."""
    try:
        folder = data_folder.scan(data)
    except data_folder.RawFilesError as exc:
        raise BuildEnvironmentError(str(exc)) from None
    if folder.ignored and warn is not None:
        warn(_ignored_line(data, folder.ignored))
    found = []
    for entity, paths in folder.files.items():
        for path in paths:
            try:
                with open(path, "rb") as fh:
                    sha256 = hashlib.file_digest(fh, "sha256").hexdigest()
                found.append(RawFile(entity, path, path.stat().st_size, sha256))
            except OSError as exc:
                raise BuildEnvironmentError(f"cannot read the {entity} file {path}: {exc.strerror}") from None
    return found


def _ignored_line(data: Path, ignored: list[Path], shown: int = 10) -> str:
    """One line naming what the data folder holds besides raw files (at most ``shown`` of them)."""
    names = [str(path.relative_to(data)) + ("/" if path.is_dir() else "") for path in ignored]
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return (
        f"{len(names)} entries in {data} are not raw data by their names and were not read "
        f"(docs/raw_contract.md, Files): {', '.join(names[:shown])}{more}"
    )


def check_distinct_deliveries(files: list[RawFile]) -> None:
    """Refuse two files of one entity with the same bytes: the same delivery under two names
    would count its rows twice (events without an event_id cannot be told apart). Files
    with no rows (empty, or a header alone) may repeat: they add nothing."""
    first: dict[tuple[str, str], RawFile] = {}
    for file in files:
        earlier = first.setdefault((file.entity, file.sha256), file)
        if earlier is not file and _has_rows(file.path):
            raise BuildEnvironmentError(
                f"{file.entity} files {earlier.path} and {file.path} have the same bytes: one delivery under two "
                "names would be counted twice; remove one of them and build again"
            )


def _has_rows(path: Path) -> bool:
    """Whether a raw file holds any row (True when DuckDB cannot tell: treat it as data)."""
    import duckdb

    if path.stat().st_size == 0:
        return False
    literal = data_folder.sql_path(path)
    sql = (
        f"select num_rows > 0 from parquet_file_metadata({literal})"
        if data_folder.data_suffix(path.name) == ".parquet"
        else f"select count(*) > 0 from read_csv({literal}, header = true, all_varchar = true, parallel = false)"
    )
    try:
        with duckdb.connect() as con:
            return bool(con.execute(sql).fetchone()[0])
    except duckdb.Error:
        return True


def build_fingerprint(data: Path, as_of: str | None, extra_vars: dict | None) -> str:
    """What an incremental build must share with the published file: the data folder, as-of,
    vars, learnmart's version, every project file (models, macros, tests and their fixtures,
    seeds, dbt_project.yml, profiles.yml) and the UDFs' source (the models call them): an
    incremental build skips the unit tests, so nothing they depend on may have changed."""
    digest = hashlib.sha256()
    settings = {"data": str(data), "as_of": as_of, "vars": extra_vars or {}, "version": __version__}
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    _digest_project(digest)
    return digest.hexdigest()[:16]


def unit_tests_fingerprint(as_of: str | None, extra_vars: dict | None) -> str:
    """What the project's unit tests (fixed inputs, no raw data) depend on: the project files
    and UDFs, the vars and as-of (a model may read them), and the versions of Python and
    the engine's libraries. Builds that share it get the same unit-test results whatever
    their data (learnmart.warehouse.dbt.unit_tests_passed)."""
    digest = hashlib.sha256()
    settings = {
        "as_of": as_of,
        "vars": extra_vars or {},
        "version": __version__,
        "python": sys.version,
        "packages": {name: _installed_version(name) for name in ENGINE_PACKAGES},
    }
    digest.update(json.dumps(settings, sort_keys=True, default=str).encode())
    _digest_project(digest)
    return digest.hexdigest()[:16]


def _digest_project(digest) -> None:
    """Feed every project file and the UDFs' source into ``digest``, by name and bytes."""
    project = project_dir()
    # (file or folder, the folder its files are named relative to in the digest)
    names = ("dbt_project.yml", "profiles.yml", "models", "macros", "tests")
    sources = [(project / name, project.parent) for name in names]
    sources += [(project.parent / "seeds", project.parent), (UDF_DIR, UDF_DIR.parent)]
    for source, root in sources:
        files = [source] if source.is_file() else sorted(source.rglob("*"))
        for path in (p for p in files if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())


def _installed_version(package: str) -> str | None:
    """The package's version; None when it is not installed (the build then says what is missing)."""
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def inputs_fingerprint(data: Path, files: list[RawFile] | None = None) -> str:
    """What a build reads besides the project and its settings (build_fingerprint): the name
    and bytes of every raw file (``files``, default raw_files(data)), the PII salt, and the
    versions of Python and of the libraries that compute the tables."""
    digest = hashlib.sha256()
    settings = {
        "python": sys.version,
        "packages": {name: _installed_version(name) for name in ENGINE_PACKAGES},
        "salt": hashlib.sha256(os.environ.get("LEARNMART_SALT", "").encode()).hexdigest(),
    }
    digest.update(json.dumps(settings, sort_keys=True).encode())
    for file in raw_files(data) if files is None else files:
        digest.update(f"{file.path.relative_to(data)}\0{file.sha256}\0".encode())
    return digest.hexdigest()[:16]


def changed_event_files(db: Path, files: list[RawFile]) -> list[str]:
    """The events files the published build loaded whose bytes differ now (its manifest,
    staging.base_raw__files, against ``files``): an incremental build would not read them."""
    import duckdb

    try:
        with duckdb.connect(str(db), read_only=True) as con:
            loaded = con.execute("select file, sha256 from staging.base_raw__files where entity = 'events'").fetchall()
    except duckdb.Error:
        return []  # built before the manifest existed: nothing to compare with
    now = {str(file.path): file.sha256 for file in files}
    return sorted(path for path, sha256 in loaded if path in now and now[path] != sha256)


def write_manifest(files: list[RawFile], path: Path) -> None:
    """The raw files' manifest that model base_raw__files reads ($LEARNMART_RAW_FILES_MANIFEST)."""
    rows = [{"entity": f.entity, "file": str(f.path), "bytes": f.bytes, "sha256": f.sha256} for f in files]
    path.write_text(json.dumps(rows))
