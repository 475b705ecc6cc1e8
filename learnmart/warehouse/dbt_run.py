"""``python -m learnmart.warehouse.dbt_run ARGS``: ``dbt ARGS``, with dbt's errors on stderr, one event each.

``learnmart build`` and ``learnmart docs`` run dbt through this instead of the ``dbt``
script, so that they can turn dbt's log file off (and, with ``--quiet``, its console log
too) and still say what went wrong. dbt formats every event for every log it writes, at
any level, before the log drops the events below its level: every SQL statement, BEGIN and
COMMIT of every node, twice, which costs a build time for lines nobody reads.

Here dbt's programmatic runner hands each event to a callback, which writes the error
events' messages to stderr; the exit code is the ``dbt`` script's (0 success, 1 a node
failed, 2 dbt itself failed).
"""

from __future__ import annotations

import sys


def main(args: list[str]) -> int:
    from dbt.cli.main import dbtRunner

    errors = 0

    def on_event(msg) -> None:
        nonlocal errors
        if msg.info.level == "error":
            errors += 1
            print(msg.info.msg, file=sys.stderr, flush=True)

    result = dbtRunner(callbacks=[on_event]).invoke(args)
    if result.success:
        return 0
    if result.exception is None:
        return 1
    if not errors:  # e.g. a bad option: dbt returns it without firing an event
        print(f"Encountered an error:\n{result.exception}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
