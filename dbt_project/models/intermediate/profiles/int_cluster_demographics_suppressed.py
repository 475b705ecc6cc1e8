"""One row per cluster x demographic attribute x value (int_cluster_demographics_counted),
with whether its count may be shown.

The cluster sizes (cluster_summary) and the users per value (demographic_summary) are
published, so each attribute's cluster x value table is suppressed as a whole
(learnmart.udfs.suppression.suppress): every cell under var k_anonymity is hidden, and
then enough other cells that no hidden cell comes back from those totals, by subtraction
along a line or along a chain of lines. A table the rules cannot protect is hidden whole.
"""

import numpy as np
import pyarrow as pa


def model(dbt, session):
    dbt.config(materialized="table")
    from learnmart.udfs.suppression import disclosed, suppress

    params = dbt.ref("int_cluster_parameters_resolved").fetchnumpy()
    k = int(params["k_anonymity"][0])
    cells = dbt.ref("int_cluster_demographics_counted").order("attribute, value, cluster_id").fetch_arrow_table()
    attribute = cells["attribute"].to_numpy(zero_copy_only=False)
    cluster = cells["cluster_id"].to_numpy()
    users = cells["users"].to_numpy()
    hidden = np.zeros(len(users), dtype=bool)
    for name in np.unique(attribute):
        rows = np.flatnonzero(attribute == name)
        clusters, cluster_index = np.unique(cluster[rows], return_inverse=True)
        values = len(rows) // len(clusters)  # the grid is whole: clusters x values, sorted by value
        table = np.zeros((len(clusters), values), dtype=np.int64)
        value_index = np.repeat(np.arange(values), len(clusters))
        table[cluster_index, value_index] = users[rows]
        mask = suppress(table, k)
        if disclosed(table, mask, k):
            mask[:] = True  # a table the rules cannot protect (e.g. one cluster) shows nothing
        hidden[rows] = mask[cluster_index, value_index]
    return cells.append_column("is_suppressed", pa.array(hidden))
