"""Complementary cell suppression (learnmart.udfs.suppression), on tables worked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from learnmart.udfs.suppression import disclosed, suppress

K = 10


def test_a_small_cell_alone_in_its_row_takes_a_partner_there_and_in_its_column():
    # clusters x regions; (1, 2) = 3 users is under k. Hidden alone, row 1's total (45)
    # minus 30 and 12 gives it back; so row 1 hides its next smallest cell (12) too.
    # Column 2 (43) hides its other cell (40); row 0 then has one hidden cell and hides its
    # next smallest (20), which pairs column 1's 12. Column 0 shows whole.
    counts = np.array([[50, 20, 40], [30, 12, 3]])
    hidden = suppress(counts, K)
    assert hidden.tolist() == [[False, True, True], [False, True, True]]
    assert disclosed(counts, hidden, K) == []


def test_two_small_cells_of_k_users_together_protect_each_other_only_if_they_reach_k():
    counts = np.array([[50, 6, 5], [60, 20, 30]])
    hidden = suppress(counts, K)
    # 6 + 5 = 11 >= k in row 0: no partner needed there; columns 1 and 2 each hide one
    # small cell, so each takes its other cell (20, 30)
    assert hidden[0, 1] and hidden[0, 2] and hidden[1, 1] and hidden[1, 2]
    assert not hidden[0, 0] and not hidden[1, 0]
    assert disclosed(counts, hidden, K) == []


def test_a_line_of_fewer_than_k_users_is_hidden_whole_zeros_too_and_its_cells_covered():
    counts = np.array([[0, 4, 0], [40, 30, 20], [25, 25, 25]])
    hidden = suppress(counts, K)
    assert hidden[0].all()  # a cluster of 4: nothing about it shows, not even where it is not
    assert disclosed(counts, hidden, K) == []
    # each column crossing it hides at least k users
    for j in range(3):
        assert counts[hidden[:, j], j].sum() >= K


def test_a_table_without_small_cells_hides_nothing():
    counts = np.array([[10, 20], [30, 0]])
    assert not suppress(counts, K).any()


def test_primary_suppression_alone_is_caught_by_the_check():
    counts = np.array([[50, 20, 40], [30, 12, 3]])
    primary = (counts > 0) & (counts < K)
    assert ("row", 1) in disclosed(counts, primary, K)


@pytest.mark.parametrize("seed", range(30))
def test_random_tables_are_protected(seed):
    rng = np.random.default_rng(seed)
    counts = rng.poisson(rng.uniform(0.5, 60, size=(rng.integers(2, 9), rng.integers(2, 12))))
    hidden = suppress(counts, K)
    assert disclosed(counts, hidden, K) == []
    assert hidden[(counts > 0) & (counts < K)].all()


def test_bad_tables_are_refused():
    with pytest.raises(ValueError, match="two-way"):
        suppress(np.array([1, 2, 3]), K)
    with pytest.raises(ValueError, match="negative"):
        suppress(np.array([[1, -2]]), K)
