"""Exact questions about figures tied by sums: can this figure take that value, given every sum at once?

Where `privacy` pushes bounds through one sum at a time (what subtraction finds), this asks a solver
(HiGHS, through SciPy's `milp`) about all the sums of a release together, with whole numbers for counts:
what a stranger with linear programming can work out. `privacy` hides figures until every answer is safe.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

Line = tuple[int, Sequence[int]]  # a total and its parts, as numbers of figures
Extent = tuple[float, float]  # what is known of a figure: its lowest and highest value (math.inf if open)
OPTIMAL = 0  # milp's status for a solution found


class Relations:
    """The sums between the figures of one group, ready to be asked about under different bounds."""

    def __init__(self, size: int, lines: Sequence[Line], *, whole: bool, cap: float) -> None:
        rows: list[int] = []
        columns: list[int] = []
        signs: list[float] = []
        for row, (total, parts) in enumerate(lines):
            for column, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
                rows.append(row)
                columns.append(column)
                signs.append(sign)
        matrix = csr_array((signs, (rows, columns)), shape=(max(len(lines), 1), size))
        self.size = size
        self.constraint = LinearConstraint(matrix, 0.0, 0.0)
        self.integrality = np.ones(size) if whole else np.zeros(size)
        # an open figure is capped far above anything the group holds, so "as large as you like" stays finite
        self.cap = cap

    def feasible(self, extents: Sequence[Extent], target: int, low: float, high: float) -> bool:
        """Whether the target can lie in [low, high] while every sum holds and every figure stays in its extent."""
        lows = np.array([e[0] for e in extents], dtype=float)
        highs = np.array([min(e[1], self.cap) for e in extents], dtype=float)
        lows[target] = max(lows[target], low)
        highs[target] = min(highs[target], high, self.cap)
        if lows[target] > highs[target]:
            return False
        result = milp(
            np.zeros(self.size),
            constraints=self.constraint,
            bounds=Bounds(lows, highs),
            integrality=self.integrality,
        )
        return bool(result.status == OPTIMAL)

    def solution(self, extents: Sequence[Extent], objective: Sequence[float]) -> list[float] | None:
        """One way to fill in every figure, pushed along the objective (smallest first), or None if none exists."""
        lows = np.array([e[0] for e in extents], dtype=float)
        highs = np.array([min(e[1], self.cap) for e in extents], dtype=float)
        result = milp(
            np.array(objective, dtype=float),
            constraints=self.constraint,
            bounds=Bounds(lows, highs),
            integrality=self.integrality,
        )
        return [float(v) for v in result.x] if result.status == OPTIMAL else None


def cap_for(values: Sequence[int]) -> float:
    """A bound no figure of the group can need: ten times all its figures together, and at least 1,000."""
    return float(max(1000, 10 * sum(abs(v) for v in values)))


def can_be_other_than(relations: Relations, extents: Sequence[Extent], target: int, value: float, step: float) -> bool:
    """Whether the target can be at least `step` away from `value`, below or above it."""
    return relations.feasible(extents, target, -math.inf, value - step) or relations.feasible(
        extents, target, value + step, math.inf
    )
