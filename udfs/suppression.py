"""Cell suppression for a two-way table of user counts whose margins are published.

A breakdown of clusters by a demographic value (cluster_demographics) is a table whose row
totals (cluster sizes, cluster_summary) and column totals (users per value,
demographic_summary) anyone can read. Hiding only the cells under k (primary suppression)
is not enough there: a row with one hidden cell gives it away as the row total minus the
shown cells, and hidden cells can give each other away along chains of rows and columns.
So more cells are hidden (complementary suppression) until:

- in every row and every column of k or more users, the hidden cells are none, or at
  least two holding at least k users together (subtraction gives only a sum of k or more);
- no sensitive cell (1..k-1 users, or any cell of a line of fewer than k users) is fixed
  by the totals. In the graph whose nodes are the rows and columns and whose edges are
  the hidden cells, a hidden cell's value follows from the totals exactly when its edge
  lies on no cycle (a bridge): along a cycle, adding one user to a cell and taking one
  from the next keeps every total. So each sensitive cell is put on a cycle.

A line of fewer than k users in all (a small cluster) is hidden whole, its zero cells too:
a shown zero would say where its few users are not. Zero cells may be hidden as
complements, so the table is published whole, zero cells included: a missing row cannot
be read as a zero.

The rules are the usual ones of statistical agencies; the complements are chosen greedily
(the smallest cell that fixes what is wrong), so more is hidden than an optimal linear
program would hide, never less than the rules ask. They protect against exact disclosure;
a narrow interval for a hidden cell (what a linear program could bound) is not checked.
"""

from __future__ import annotations

import numpy as np


def suppress(counts: np.ndarray, k: int) -> np.ndarray:
    """Which cells of ``counts`` (rows x columns of user counts) to hide, as a bool array:
    every sensitive cell, and then more, the smallest first, until every line's hidden
    cells hold k or more users in two or more cells and no sensitive cell is a bridge."""
    counts = np.asarray(counts, dtype=np.int64)
    if counts.ndim != 2:
        raise ValueError("counts must be a two-way table")
    if (counts < 0).any():
        raise ValueError("counts must not be negative")
    sensitive = _sensitive(counts, k)
    hidden = sensitive.copy()
    while True:
        changed = False
        for table, mask in ((counts, hidden), (counts.T, hidden.T)):  # rows, then columns (views)
            for i in range(table.shape[0]):
                if table[i].sum() >= k:
                    changed |= _protect_line(table[i], mask[i], k)
        exposed = (cell for cell in zip(*np.nonzero(sensitive & hidden), strict=True) if _is_bridge(hidden, *cell))
        changed |= any(_close_cycle(counts, hidden, *cell) for cell in exposed)  # the first it can fix
        if not changed:
            return hidden


def _sensitive(counts: np.ndarray, k: int) -> np.ndarray:
    """Cells of 1..k-1 users, and every cell of a row or column of 1..k-1 users."""
    sensitive = (counts > 0) & (counts < k)
    rows, columns = counts.sum(axis=1), counts.sum(axis=0)
    sensitive[(rows > 0) & (rows < k), :] = True
    sensitive[:, (columns > 0) & (columns < k)] = True
    return sensitive


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


def _sides(hidden: np.ndarray, row: int, column: int) -> tuple[set[int], set[int], set[int], set[int]]:
    """Without the hidden cell (row, column): the rows and columns reachable from ``row``
    through hidden cells, and those reachable from ``column``."""
    n_rows = hidden.shape[0]

    def reach(start: int) -> set[int]:
        seen, todo = {start}, [start]
        while todo:
            node = todo.pop()
            if node < n_rows:
                nexts = [n_rows + j for j in np.flatnonzero(hidden[node]) if (node, j) != (row, column)]
            else:
                j = node - n_rows
                nexts = [i for i in np.flatnonzero(hidden[:, j]) if (i, j) != (row, column)]
            for other in nexts:
                if other not in seen:
                    seen.add(other)
                    todo.append(other)
        return seen

    near, far = reach(row), reach(n_rows + column)
    split = (lambda nodes: {n for n in nodes if n < n_rows}, lambda nodes: {n - n_rows for n in nodes if n >= n_rows})
    return split[0](near), split[1](near), split[0](far), split[1](far)


def _is_bridge(hidden: np.ndarray, row: int, column: int) -> bool:
    """Whether the totals fix the hidden cell (row, column): no other path of hidden cells
    joins its row and its column."""
    _, near_columns, _, _ = _sides(hidden, row, column)
    return column not in near_columns


def _close_cycle(counts: np.ndarray, hidden: np.ndarray, row: int, column: int) -> bool:
    """Hide one more cell (in place) that puts the bridge (row, column) on a cycle: one that
    joins the row's side to the column's side, the smallest non-zero count first. Without
    one (a side with no row or no column yet), the smallest other cell of the row, or of
    the column. False when there is no cell left to hide."""
    near_rows, near_columns, far_rows, far_columns = _sides(hidden, row, column)
    candidates = [(i, j) for i in near_rows for j in far_columns if not hidden[i, j]]
    candidates += [(i, j) for i in far_rows for j in near_columns if not hidden[i, j]]
    if not candidates:
        candidates = [(row, j) for j in range(counts.shape[1]) if not hidden[row, j]]
    if not candidates:
        candidates = [(i, column) for i in range(counts.shape[0]) if not hidden[i, column]]
    if not candidates:
        return False  # every cell of its row and column is hidden: only a one-line table gets here
    chosen = min(candidates, key=lambda cell: (counts[cell] == 0, counts[cell], cell))
    hidden[chosen] = True
    return True


def disclosed(counts: np.ndarray, hidden: np.ndarray, k: int) -> list[tuple[str, int, int]]:
    """What the published totals give away: ("cell", row, column) for each sensitive cell
    shown or fixed by the totals (a bridge of the hidden cells), ("row" | "column", index,
    -1) for each line of k or more users whose hidden cells hold fewer than k. Empty when
    ``hidden`` protects the table."""
    counts = np.asarray(counts, dtype=np.int64)
    hidden = np.asarray(hidden, dtype=bool)
    found = []
    for row, column in zip(*np.nonzero(_sensitive(counts, k)), strict=True):
        if not hidden[row, column] or _is_bridge(hidden, row, column):
            found.append(("cell", int(row), int(column)))
    for axis, table, mask in (("row", counts, hidden), ("column", counts.T, hidden.T)):
        for i in range(table.shape[0]):
            if table[i].sum() >= k and mask[i].any() and table[i][mask[i]].sum() < k:
                found.append((axis, i, -1))
    return found
