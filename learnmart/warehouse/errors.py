"""The two ways a build fails, which the CLI maps to its exit codes."""

from __future__ import annotations


class BuildError(Exception):
    """The build ran and failed (exit 1): a model or test failed."""


class BuildEnvironmentError(Exception):
    """The build could not start (exit 2): bad arguments, missing data, lock held."""
