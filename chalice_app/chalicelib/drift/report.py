"""A window's counts against its baseline's, feature by feature and for the prediction: the
figures, and the thresholds they cross.

Per feature the distribution compared is the baseline's bins (or categories) plus one bin for a
missing value, so a feature that starts arriving empty moves its PSI as a shifted one does. The
two-sample test compares the present values only: Kolmogorov-Smirnov on the bins for numbers,
chi-square on the categories for booleans and categories (``stats``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from itertools import pairwise
from typing import Any

from chalicelib.drift import stats
from chalicelib.drift.baseline import Distribution
from chalicelib.drift.counts import Counts
from chalicelib.drift.window import Window

OK, WARN, ALERT, FEW = "ok", "warn", "alert", "too few rows"
# Worst first: how a report ranks its features.
SEVERITY = {ALERT: 0, WARN: 1, OK: 2, FEW: 3}
MISSING_BIN = "missing"


@dataclass(frozen=True)
class Thresholds:
    """Where a figure starts to warn and to alert. PSI 0.1 and 0.25 are the usual convention
    (below 0.1 no real change, above 0.25 a large one)."""

    psi_warn: float = 0.1
    psi_alert: float = 0.25
    # The missing rate's rise over the baseline's (0.2: 20 more rows in 100 arrive empty).
    missing_warn: float = 0.05
    missing_alert: float = 0.2
    # The share of a feature's values the signature would have refused.
    violations_warn: float = 0.01
    violations_alert: float = 0.05
    # A test's p-value below it warns too. Off by default: over a day's traffic every small
    # shift is significant, so PSI says how large a shift is and the test only whether it is one.
    alpha: float | None = None
    # Fewer rows than this in the window: the figures are given, not judged. Two samples of one
    # distribution differ by a PSI of about (bins - 1) / rows on 11 bins (10 and the missing
    # one): 0.02 at 500 rows, 0.1, the warn level, at 100.
    min_rows: int = 500


@dataclass(frozen=True)
class Drift:
    """One feature's (or the prediction's) figures over the window."""

    name: str
    type: str
    rows: int
    psi: float
    test: stats.Test | None
    missing_rate: float
    baseline_missing_rate: float
    out_of_range_rate: float
    violation_rate: float
    level: str
    reasons: tuple[str, ...]
    # The bins compared, and each one's share of the baseline's rows and of the window's.
    bins: tuple[str, ...] = ()
    baseline_shares: tuple[float, ...] = ()
    window_shares: tuple[float, ...] = ()


@dataclass(frozen=True)
class DriftReport:
    artifact_sha256: str
    thresholds: Thresholds
    records: int
    rows: int
    outside: int
    malformed: dict[str, int]
    wrong_width: int
    unread_answers: int
    first: str | None
    last: str | None
    # Worst first, then by PSI.
    features: tuple[Drift, ...]
    # The prediction's distribution: one, or one per output of a model of several.
    predictions: tuple[Drift, ...]
    baseline_source: str = ""
    baseline_rows: int = 0
    level: str = field(init=False)

    def __post_init__(self) -> None:
        every = (*self.features, *self.predictions)
        object.__setattr__(self, "level", min((d.level for d in every), key=SEVERITY.__getitem__))

    @property
    def crossed(self) -> bool:
        """Whether any figure crossed a threshold (warn or alert)."""
        return self.level in (WARN, ALERT)

    @property
    def malformed_lines(self) -> int:
        return sum(self.malformed.values())

    def to_json(self) -> dict[str, Any]:
        """Every figure, as JSON types: what a scheduled run logs and turns into metrics."""
        document = asdict(self)
        document["crossed"] = self.crossed
        return document


def bin_names(distribution: Distribution) -> list[str]:
    if distribution.categories is not None:
        return list(distribution.categories)
    edges = distribution.edges or ()
    if not edges:
        return ["all"]
    names = [f"< {edges[0]:g}"]
    names += [f"{low:g} to {high:g}" for low, high in pairwise(edges)]
    return [*names, f">= {edges[-1]:g}"]


def judge(
    name: str,
    counts: Counts,
    thresholds: Thresholds,
    with_missing: bool = True,
) -> Drift:
    base = counts.distribution
    expected = list(base.counts) + ([base.missing] if with_missing else [])
    actual = list(counts.bins) + ([counts.missing] if with_missing else [])
    psi = stats.psi(expected, actual)
    test = (
        stats.ks_binned(base.counts, counts.bins)
        if base.is_number
        else stats.chi_square(base.counts, counts.bins)
    )
    rows = counts.rows
    seen = rows + counts.violations
    missing_rate = counts.missing / rows if rows else 0.0
    base_missing = base.missing / base.rows if base.rows else 0.0
    violation_rate = counts.violations / seen if seen else 0.0
    reasons: list[str] = []
    level = OK
    if seen < thresholds.min_rows:
        level = FEW
    else:
        checks = [
            ("PSI", psi, thresholds.psi_warn, thresholds.psi_alert),
            ("missing rate rise", missing_rate - base_missing, thresholds.missing_warn,
             thresholds.missing_alert),
            ("violations", violation_rate, thresholds.violations_warn, thresholds.violations_alert),
        ]  # fmt: skip
        for what, value, warn, alert in checks:
            if value >= alert:
                level = ALERT
                reasons.append(f"{what} {value:.3g} >= {alert:g}")
            elif value >= warn:
                level = WARN if level == OK else level
                reasons.append(f"{what} {value:.3g} >= {warn:g}")
        if thresholds.alpha is not None and test is not None and test.p_value < thresholds.alpha:
            level = WARN if level == OK else level
            reasons.append(f"{test.name} p {test.p_value:.3g} < {thresholds.alpha:g}")
    names = bin_names(base) + ([MISSING_BIN] if with_missing else [])
    return Drift(
        name=name,
        type=base.type,
        rows=rows,
        psi=psi,
        test=test,
        missing_rate=missing_rate,
        baseline_missing_rate=base_missing,
        out_of_range_rate=counts.out_of_range / counts.present if counts.present else 0.0,
        violation_rate=violation_rate,
        level=level,
        reasons=tuple(reasons),
        bins=tuple(names),
        baseline_shares=tuple(stats.shares(expected)),
        window_shares=tuple(stats.shares(actual)),
    )


def compare(window: Window, thresholds: Thresholds | None = None) -> DriftReport:
    """The window's report: every feature and the prediction judged against the baseline."""
    thresholds = thresholds or Thresholds()
    baseline = window.baseline
    features = [
        judge(distribution.name, counts, thresholds)
        for distribution, counts in zip(baseline.features, window.features, strict=True)
    ]
    features.sort(key=lambda drift: (SEVERITY[drift.level], -drift.psi))
    return DriftReport(
        artifact_sha256=baseline.artifact_sha256,
        thresholds=thresholds,
        records=window.records,
        rows=window.rows,
        outside=window.outside,
        malformed=dict(window.malformed),
        wrong_width=window.wrong_width,
        unread_answers=window.unread_answers,
        first=window.first,
        last=window.last,
        features=tuple(features),
        predictions=tuple(
            judge(distribution.name, counts, thresholds, with_missing=False)
            for distribution, counts in zip(baseline.predictions, window.predictions, strict=True)
        ),
        baseline_source=baseline.source,
        baseline_rows=baseline.rows,
    )
