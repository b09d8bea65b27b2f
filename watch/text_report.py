"""A drift report as the terminal shows it: a table of the features ranked by drift, the
prediction's row, what could not be read, and the thresholds used."""

from __future__ import annotations

from foundation.lambda_code import drift


def _number(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}g}" if abs(value) < 1000 else f"{value:.0f}"


def _rate(value: float) -> str:
    return f"{100 * value:.1f}%"


def row(item: drift.Drift) -> list[str]:
    test = item.test
    return [
        item.name,
        item.type,
        item.level,
        _number(item.psi),
        f"{test.name} {_number(test.statistic)}" if test else "-",
        _number(test.p_value, 2) if test else "-",
        f"{_rate(item.missing_rate)} ({_rate(item.baseline_missing_rate)})",
        _rate(item.out_of_range_rate),
        _rate(item.violation_rate),
        str(item.rows),
    ]


HEADER = [
    "feature", "type", "level", "PSI", "test", "p", "missing (baseline)", "out of range",
    "violations", "rows",
]  # fmt: skip


def table(rows: list[list[str]]) -> list[str]:
    widths = [max(len(cells[i]) for cells in [HEADER, *rows]) for i in range(len(HEADER))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
        for cells in [HEADER, *rows]
    ]


def thresholds_line(thresholds: drift.Thresholds) -> str:
    alpha = f"p < {thresholds.alpha:g} warns" if thresholds.alpha is not None else "p not judged"
    return (
        f"thresholds: PSI warn {thresholds.psi_warn:g} alert {thresholds.psi_alert:g}; "
        f"missing rate rise warn {thresholds.missing_warn:g} alert {thresholds.missing_alert:g}; "
        f"violations warn {thresholds.violations_warn:g} alert {thresholds.violations_alert:g}; "
        f"{alpha}; judged from {thresholds.min_rows} rows"
    )


def report_lines(report: drift.DriftReport, title: str) -> list[str]:
    """The model's report: a heading, the table (features, then the prediction), the lines that
    could not be read, by why."""
    when = f"from {report.first} to {report.last}" if report.first else "no record read"
    lines = [
        f"{title}: {report.records} records, {report.rows} rows ({when}); "
        f"baseline: {report.baseline_source}, {report.baseline_rows} rows; "
        f"level: {report.level}",
        *table([row(item) for item in (*report.features, *report.predictions)]),
    ]
    for item in (*report.features, *report.predictions):
        if item.reasons:
            lines.append(f"  {item.name}: {'; '.join(item.reasons)}")
    unread = dict(report.malformed)
    if report.wrong_width:
        unread["rows of another width"] = report.wrong_width
    if report.unread_answers:
        unread["answers not this model's"] = report.unread_answers
    if unread:
        said = ", ".join(f"{reason} {count}" for reason, count in sorted(unread.items()))
        lines.append(f"  not read: {said}")
    if report.outside:
        lines.append(f"  {report.outside} records of the same hours fall outside the window")
    return lines
