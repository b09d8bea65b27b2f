"""Drift of a model's input and output, from its endpoint's data capture, against the baseline
made with the model: pure Python, so the Lambda runs it as the laptop does.

For one model's lines::

    report = drift_report(baseline, signature, lines, Thresholds(), start, end)

For an endpoint's capture, every model in the window apart (a scheduled run, or the laptop)::

    reading = read_capture(S3Store(s3, bucket), "capture/<endpoint>", models, Thresholds(),
                           start, end)
    reading.reports[sha]  # a DriftReport per model that has a baseline

Nothing here imports numpy, scipy or anything of the laptop's.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from chalicelib.drift import capture
from chalicelib.drift.baseline import (
    Baseline,
    BaselineError,
    Distribution,
    baseline_text,
    bound_baseline,
    parse_baseline,
    read_baseline,
)
from chalicelib.drift.capture_store import CaptureObject, S3Store, Store, capture_objects
from chalicelib.drift.predictions import predictions_of
from chalicelib.drift.report import ALERT, FEW, OK, WARN, Drift, DriftReport, Thresholds, compare
from chalicelib.drift.window import Window
from chalicelib.signature import Signature

__all__ = [
    "ALERT",
    "FEW",
    "OK",
    "WARN",
    "Baseline",
    "BaselineError",
    "CaptureObject",
    "CaptureReading",
    "Distribution",
    "Drift",
    "DriftReport",
    "S3Store",
    "Store",
    "Thresholds",
    "Window",
    "baseline_text",
    "bound_baseline",
    "capture",
    "capture_objects",
    "drift_report",
    "parse_baseline",
    "predictions_of",
    "read_baseline",
    "read_capture",
]


def drift_report(
    baseline: Baseline,
    signature: Signature,
    lines: Iterable[str | bytes],
    thresholds: Thresholds | None = None,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
) -> DriftReport:
    """One model's captured lines (JSON Lines as data capture writes them) from ``start`` up to
    ``end`` against its baseline; BaselineError when the baseline is not the signature's model's."""
    return compare(Window(baseline, signature, start, end).add_lines(lines), thresholds)


@dataclass
class CaptureReading:
    """What an endpoint's capture held in a window, model by model, never mixed."""

    # A report per artifact sha256 that had a baseline and lines in the window.
    reports: dict[str, DriftReport] = field(default_factory=dict)
    # Lines of models the caller gave no baseline for, by artifact sha256.
    without_baseline: Counter[str] = field(default_factory=Counter)
    # Lines under paths that name no model (endpoint configs made before capture named it).
    unattributed: int = 0
    files: int = 0

    @property
    def nothing_captured(self) -> bool:
        records = sum(report.records + report.malformed_lines for report in self.reports.values())
        return not records and not self.without_baseline and not self.unattributed


def read_capture(
    store: Store,
    prefix: str,
    models: Mapping[str, tuple[Baseline, Signature]],
    thresholds: Thresholds | None = None,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
) -> CaptureReading:
    """Every capture file under ``prefix`` in the window, each read into the window of the model
    its key names (``models``: artifact sha256 -> its baseline and signature); lines of other
    models and of paths that name none are counted, not read."""
    reading = CaptureReading()
    windows: dict[str, Window] = {}
    for found in capture_objects(store, prefix, start, end):
        reading.files += 1
        sha = found.artifact_sha256
        if sha is None or sha not in models:
            lines = sum(1 for line in store.lines(found.key) if line.strip())
            if sha is None:
                reading.unattributed += lines
            else:
                reading.without_baseline[sha] += lines
            continue
        if sha not in windows:
            baseline, signature = models[sha]
            windows[sha] = Window(baseline, signature, start, end)
        windows[sha].add_lines(store.lines(found.key))
    reading.reports = {
        sha: compare(window, thresholds)
        for sha, window in windows.items()
        if window.records or window.malformed  # not a model whose lines all fell outside
    }
    return reading
