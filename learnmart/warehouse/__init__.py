"""learnmart's build engine: raw files -> `dbt build` into a new file -> publish.

The steps, one module each: ``inputs`` (the raw files and the fingerprints), ``checks``
(refusals before anything is written), ``plan`` (up to date, incremental, partial or full,
and why: a pure function), ``dbt`` (its command, environment and parse cache),
``failures`` (what run_results.json says failed, and whether that is the machine's, the
raw files' or the models' fault), ``publish`` (lock, carry-over, atomic rename) and
``engine`` (run_build, which runs them in order). ``docs`` generates dbt's docs site.
The CLI (learnmart.cli) only parses options and prints.
"""

from learnmart.warehouse.errors import BuildEnvironmentError, BuildError

__all__ = ["BuildEnvironmentError", "BuildError"]
