"""Why a dbt build failed, sorted from dbt's run_results.json.

Which node failed, and how (``status``: error, fail, runtime error), comes from
run_results.json, and what a failure means is decided from the node's id: a base_raw__
model that errors could not read its raw files. Two causes are in nothing dbt records but
the message, so only they are read from it: DuckDB's "Out of Memory Error" (its error
class, which run_results keeps as text) and the operating system's "No space left on
device". When dbt failed before any node ran (a parse or compilation error, a bad var),
run_results has no failed node, and the last error dbt wrote to stderr is all there is.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

FAILED_STATUSES = ("error", "fail", "runtime error")
# the base models that read one raw entity's files each (base_raw__<entity>)
RAW_READER_PREFIX = "model.learnmart.base_raw__"
# macro raw_relation's own refusals, which name the file and what to do about it
RAW_CONTRACT_MESSAGES = ("raw contract", "full-refresh", "twice in its header")


@dataclass(frozen=True)
class Failure:
    """A failed node of run_results.json (``node`` "" for an error dbt raised outside any node)."""

    node: str
    status: str
    message: str

    def line(self) -> str:
        if not self.node:
            return self.message
        return f"{self.node}: {self.status}" + (f" - {self.message}" if self.message else "")

    @property
    def name(self) -> str:
        return self.node.rsplit(".", 1)[-1]


def read_failures(run_results: Path) -> list[Failure]:
    """The failed nodes of a dbt run ([] when dbt wrote no run_results.json)."""
    if not run_results.exists():
        return []
    results = json.loads(run_results.read_text())["results"]
    return [
        Failure(r["unique_id"], r["status"], essential_line(r.get("message") or ""))
        for r in results
        if r["status"] in FAILED_STATUSES
    ]


def dbt_failures(run_results: Path, returncode: int, stderr: str) -> list[Failure]:
    """Every failure of the run: its failed nodes, else the last error dbt wrote, else its exit code."""
    failures = read_failures(run_results)
    if failures or returncode == 0:
        return failures
    lines = last_error(stderr) or [f"dbt exited with code {returncode}"]
    return [Failure("", "", line) for line in lines]


def environment_error(failures: list[Failure], data: Path, db: Path, memory_limit: str, disk_full: bool) -> str:
    """The one line of a failure that is the machine's or the input files', not the models'
    (an exit 2); "" when the models or their tests failed."""
    detail = "; ".join(f.line() for f in failures)
    no_space = "No space left on device" in detail
    out_of_memory = [f for f in failures if "Out of Memory Error" in f.message]
    if out_of_memory and "No space left" not in detail:
        # the machine's limit, not the data: whichever model hit it (a raw file's base model
        # too) says nothing about its input; a spill onto a full disk is the full-disk case
        message = out_of_memory[0].message.split("Out of Memory Error: ", 1)[-1]
        return (
            f"the build ran out of memory in {out_of_memory[0].name} under memory_limit {memory_limit} "
            f"({message}); {db} was left as it was. Raise --memory-limit, or build with fewer --threads"
        )
    unreadable = [f for f in failures if f.node.startswith(RAW_READER_PREFIX)]
    if unreadable and "No space left" not in detail:
        # the raw files themselves could not be read (encoding, broken CSV)
        entity = unreadable[0].node.removeprefix(RAW_READER_PREFIX)
        message = unreadable[0].message or unreadable[0].line()
        hint = ""
        if not any(own in message for own in RAW_CONTRACT_MESSAGES):
            hint = " (fix or re-export the file: CSV files must be UTF-8 with a header row)"
        return f"cannot read the {entity} file(s) in {data}: {message}{hint}"
    if no_space or disk_full:
        return f"the disk holding {db.parent} is full; {db} was left as it was. Free space and build again"
    return ""


def last_error(stderr: str) -> list[str]:
    """The last error dbt wrote to stderr (e.g. a parsing error and its first detail line), if any.

    Read from dbt's messages because nothing else records an error raised outside a node."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    marks = [i for i, ln in enumerate(lines) if "Error" in ln]
    if not marks:
        return []
    i = marks[-1]
    return [" ".join(lines[i : i + 2])]


def essential_line(message: str) -> str:
    """The line of a dbt error message that says what went wrong, not where."""
    lines = [ln.strip() for ln in message.splitlines() if ln.strip()]
    if any(ln.startswith("Traceback") for ln in lines):
        return f"{lines[0]} {lines[-1]}"  # a Python model: where, then the exception itself
    skip = ("Compilation Error in", "Runtime Error in", "Database Error in", ">", "compiled code")
    useful = [ln for ln in lines if not ln.startswith(skip)]
    line = (useful or lines or [""])[0]
    # DuckDB's CSV errors name the file on a line of their own ("file = ..."), after the error
    named = [ln.split("=", 1)[1].strip() for ln in lines if ln.startswith("file =")]
    if named and named[0] not in line:
        line += f" (file {named[0]})"
    return line
