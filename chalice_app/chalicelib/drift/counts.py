"""Counting one feature's values over a window, on the baseline's own bins or categories: the
memory a window takes is the baseline's size, whatever the window's length.

A cell is what the proxy sent the model: CSV text in the signature's order, a missing value as an
empty cell ("nan" for a model of one feature), a boolean as 1 or 0, a category as its code
(``predictor.to_csv``). A cell the signature would not have let through (no number, not finite,
out of its bounds, not whole for an integer, no category's code) is a schema violation: counted,
and kept out of the distribution.
"""

from __future__ import annotations

import math
from bisect import bisect_right

from chalicelib.drift.baseline import Distribution
from chalicelib.signature import BOOLEAN, FLOAT32_MAX, INTEGER, SAFE_INTEGER, Feature

MISSING_CELLS = frozenset({"", "nan", "NaN"})


class Counts:
    """A window's values of one feature (or of the prediction), on the baseline's bins."""

    def __init__(self, distribution: Distribution) -> None:
        self.distribution = distribution
        self.bins = [0] * len(distribution.counts)
        self.missing = 0
        self.violations = 0
        # Present values outside what the baseline saw (numbers: below its minimum or above its
        # maximum; categories: a category it never saw).
        self.out_of_range = 0

    @property
    def present(self) -> int:
        return sum(self.bins)

    @property
    def rows(self) -> int:
        """Rows that gave this feature a value or left it missing (violations not included)."""
        return self.present + self.missing

    def add_cell(self, cell: str) -> None:
        """One CSV cell: missing, a value, or (no number) a violation."""
        if cell in MISSING_CELLS:
            self.missing += 1
            return
        try:
            value = float(cell)
        except ValueError:
            self.violations += 1
            return
        self.add_value(value)

    def add_value(self, value: float) -> None:
        """A value read from a cell or from the model's answer, counted by the subclass's kind."""
        raise NotImplementedError


class NumberCounts(Counts):
    def __init__(self, distribution: Distribution, feature: Feature | None = None) -> None:
        super().__init__(distribution)
        assert distribution.edges is not None
        self.edges = list(distribution.edges)
        low, high = distribution.minimum, distribution.maximum
        self.low = -math.inf if low is None else low
        self.high = math.inf if high is None else high
        self.integer = feature is not None and feature.type == INTEGER
        limit = SAFE_INTEGER if self.integer else FLOAT32_MAX
        self.floor, self.floor_open, self.ceiling, self.ceiling_open = -limit, False, limit, False
        if feature is not None:
            if feature.exclusive_minimum is not None:
                self.floor, self.floor_open = feature.exclusive_minimum, True
            elif feature.minimum is not None:
                self.floor = feature.minimum
            if feature.exclusive_maximum is not None:
                self.ceiling, self.ceiling_open = feature.exclusive_maximum, True
            elif feature.maximum is not None:
                self.ceiling = feature.maximum

    def allowed(self, value: float) -> bool:
        """Whether the signature lets ``value`` through (``validation.feature_schema``'s bounds)."""
        if value != value or value in (math.inf, -math.inf):
            return False
        if value < self.floor or (self.floor_open and value == self.floor):
            return False
        if value > self.ceiling or (self.ceiling_open and value == self.ceiling):
            return False
        return not (self.integer and not value.is_integer())

    def add_value(self, value: float) -> None:
        if not self.allowed(value):
            self.violations += 1
            return
        self.bins[bisect_right(self.edges, value)] += 1
        if value < self.low or value > self.high:
            self.out_of_range += 1


class CategoryCounts(Counts):
    """Booleans (0, 1) and categories (their codes), counted by code."""

    def __init__(self, distribution: Distribution, feature: Feature | None = None) -> None:
        super().__init__(distribution)
        self.size = len(self.bins)
        self.seen = [count > 0 for count in distribution.counts]
        self.boolean = feature is not None and feature.type == BOOLEAN

    def add_value(self, value: float) -> None:
        """A code: one of the baseline's categories (a boolean's 0 or 1), else a violation."""
        if not (0 <= value < self.size) or not value.is_integer():
            self.violations += 1
            return
        code = int(value)
        self.bins[code] += 1
        if not self.seen[code]:
            self.out_of_range += 1


def counts_for(distribution: Distribution, feature: Feature | None = None) -> Counts:
    if distribution.is_number:
        return NumberCounts(distribution, feature)
    return CategoryCounts(distribution, feature)
