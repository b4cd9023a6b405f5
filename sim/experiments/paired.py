"""The paired table's shape: which columns are differences, and replications side by side.

``paired.parquet`` holds one row per design point, arm comparison and replication (see
:mod:`sim.experiments.analysis`); intervals, "where each side wins" and the noise of the
sensitivity indices all need each point's replications side by side, which
:func:`replication_matrix` gives.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def diff_columns(paired: pd.DataFrame) -> list[str]:
    """The difference columns of the paired table (``MEASURE.wWEEK``, run measures, overtake)."""
    from sim.experiments.experiment import RUN_MEASURES

    def is_diff(c: str) -> bool:
        measure, sep, week = c.rpartition(".w")
        return bool(sep) and week.isdigit() and "." not in measure

    return [c for c in paired.columns if is_diff(c) or c in RUN_MEASURES or c == "overtake_week"]


def replication_matrix(paired: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Each (point, arm) once, and the columns' values as columns x (point, arm) x replications.

    Cells with fewer replications than the most (failed runs) are padded with nan.
    """
    p = paired.sort_values(["arm", "point", "replication"], kind="stable")
    by = p.groupby(["arm", "point"], sort=True)
    cell, rep = by.ngroup().to_numpy(), by.cumcount().to_numpy()
    index = p[["point", "arm"]].drop_duplicates().reset_index(drop=True)
    shape = (len(columns), len(index), int(rep.max()) + 1 if len(rep) else 0)
    arr = np.full(shape, np.nan)
    for i, c in enumerate(columns):
        arr[i, cell, rep] = p[c].to_numpy(dtype=float)
    return index, arr


__all__ = ["diff_columns", "replication_matrix"]
