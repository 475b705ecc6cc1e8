"""Cell suppression for a two-way table of user counts whose margins are published.

A breakdown of clusters by a demographic value (cluster_demographics) is a table whose row
totals (cluster sizes, cluster_summary) and column totals (users per value,
demographic_summary) anyone can read. Hiding only the cells under k (primary suppression)
is not enough there: a row with one hidden cell gives it away as the row total minus the
shown cells. So more cells are hidden (complementary suppression) until, in every row and
every column of k or more users, the hidden cells are none, or at least two holding at
least k users together: subtraction then gives only a sum of k or more, and never one
hidden cell alone (which would unlock the next line's). A line of fewer than k users in
all (a small cluster) is hidden whole, its zero cells too: a shown zero would say where
its few users are not. Zero cells may be hidden to pair a line's last hidden cell, so the
table is published whole, zero cells included: a missing row cannot be read as a zero.

The rule is the usual one of statistical agencies; it is greedy (the smallest cell that
fixes a line is hidden next), so it hides more than an optimal linear program would, never
less than the rule asks.
"""

from __future__ import annotations

import numpy as np


def suppress(counts: np.ndarray, k: int) -> np.ndarray:
    """Which cells of ``counts`` (rows x columns of user counts) to hide, as a bool array:
    every cell of 1..k-1 users, every cell of a line of 1..k-1 users, and then more, the
    smallest first, until the hidden cells of every line of k or more users hold k or more."""
    counts = np.asarray(counts, dtype=np.int64)
    if counts.ndim != 2:
        raise ValueError("counts must be a two-way table")
    if (counts < 0).any():
        raise ValueError("counts must not be negative")
    hidden = (counts > 0) & (counts < k)
    rows, columns = counts.sum(axis=1), counts.sum(axis=0)
    hidden[(rows > 0) & (rows < k), :] = True
    hidden[:, (columns > 0) & (columns < k)] = True
    changed = True
    while changed:
        changed = False
        for table, mask in ((counts, hidden), (counts.T, hidden.T)):  # rows, then columns (views)
            for i in range(table.shape[0]):
                if table[i].sum() >= k:
                    changed |= _protect_line(table[i], mask[i], k)
    return hidden


def _protect_line(line: np.ndarray, hidden: np.ndarray, k: int) -> bool:
    """Hide more cells of one line of k or more users (in place) until its hidden cells are
    at least two holding k or more users: the smallest non-zero cell next, a zero cell only
    when every non-zero one is hidden (they then hold the whole line, k or more)."""
    changed = False
    while hidden.any() and (hidden.sum() < 2 or line[hidden].sum() < k):
        candidates = np.flatnonzero(~hidden & (line > 0))
        if len(candidates) == 0:
            candidates = np.flatnonzero(~hidden)
            if len(candidates) == 0:
                break  # a line of one cell: its total is its margin, nothing can hide it
        hidden[candidates[np.argmin(line[candidates])]] = True  # the first of equals
        changed = True
    return changed


def disclosed(counts: np.ndarray, hidden: np.ndarray, k: int) -> list[tuple[str, int]]:
    """What an attacker who knows the margins works out, by solving every line with one
    hidden cell left and repeating: the lines (("row" | "column", index)) where a small
    cell (1..k-1 users, or any cell of a line of fewer than k) is then recovered, or whose
    cells still hidden hold fewer than k users. Empty when ``hidden`` protects the table."""
    counts = np.asarray(counts, dtype=np.int64)
    unknown = np.array(hidden, dtype=bool)
    solved = True
    while solved:
        solved = False
        for table in (unknown, unknown.T):
            for i in range(table.shape[0]):
                if table[i].sum() == 1:
                    table[i][table[i]] = False
                    solved = True
    small = (counts > 0) & (counts < k)
    rows, columns = counts.sum(axis=1), counts.sum(axis=0)
    small[(rows > 0) & (rows < k), :] = True
    small[:, (columns > 0) & (columns < k)] = True
    found = []
    for axis, table, mask, sensitive, totals in (
        ("row", counts, unknown, small, rows),
        ("column", counts.T, unknown.T, small.T, columns),
    ):
        for i in range(table.shape[0]):
            recovered = sensitive[i] & ~mask[i]
            if recovered.any() or (mask[i].any() and totals[i] >= k and table[i][mask[i]].sum() < k):
                found.append((axis, i))
    return found
