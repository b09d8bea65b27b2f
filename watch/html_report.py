"""A drift report as one self-contained HTML file: per model a table, then one small chart per
feature and per prediction, the baseline's share of each bin beside the window's, drawn as inline
SVG (no script, no stylesheet or font from elsewhere: it opens offline, and from a mail)."""

from __future__ import annotations

from html import escape

from foundation.lambda_code import drift
from watch import text_report

WIDTH, HEIGHT, MARGIN = 420, 170, 28
COLOURS = {drift.ALERT: "#c0392b", drift.WARN: "#d68910", drift.OK: "#2e86c1", drift.FEW: "#7f8c8d"}
BASELINE_COLOUR = "#b3b6b7"
STYLE = """
body { font: 14px system-ui, sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; margin: 8px 0 16px; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
figure.chart { margin: 0; border: 1px solid #ddd; padding: 6px; }
figcaption { font-size: 13px; }
.alert { color: #c0392b; } .warn { color: #d68910; }
"""


def chart(item: drift.Drift) -> str:
    """Grouped bars: each bin's baseline share (grey) and window share (the level's colour)."""
    bins = len(item.bins)
    top = max([*item.baseline_shares, *item.window_shares, 0.01])
    slot = (WIDTH - 2 * MARGIN) / max(bins, 1)
    bar = slot * 0.4
    plot = HEIGHT - 2 * MARGIN
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(item.name)}: baseline and window by bin">',
        f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - MARGIN}" '
        f'y2="{HEIGHT - MARGIN}" stroke="#888"/>',
        f'<text x="{MARGIN}" y="{MARGIN - 10}" font-size="11">{100 * top:.0f}% of rows</text>',
    ]
    colour = COLOURS.get(item.level, COLOURS[drift.OK])
    for index, (name, base, now) in enumerate(
        zip(item.bins, item.baseline_shares, item.window_shares, strict=True)
    ):
        x = MARGIN + index * slot + slot * 0.1
        for offset, share, fill, who in (
            (0, base, BASELINE_COLOUR, "baseline"),
            (bar, now, colour, "window"),
        ):
            height = plot * share / top
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{HEIGHT - MARGIN - height:.1f}" width="{bar:.1f}" '
                f'height="{height:.1f}" fill="{fill}"><title>{escape(name)}: {who} '
                f"{100 * share:.1f}%</title></rect>"
            )
        if bins <= 12:
            label = name if len(name) <= 10 else name[:9] + "…"
            parts.append(
                f'<text x="{x + bar:.1f}" y="{HEIGHT - MARGIN + 12}" font-size="9" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _figure(item: drift.Drift) -> str:
    test = f", {item.test.name} p {item.test.p_value:.2g}" if item.test else ""
    return (
        f'<figure class="chart" data-feature="{escape(item.name)}" data-level="{escape(item.level)}">'
        f"{chart(item)}<figcaption><b>{escape(item.name)}</b> "
        f'<span class="{escape(item.level)}">{escape(item.level)}</span>: PSI {item.psi:.3g}{test}'
        "</figcaption></figure>"
    )


def _table(report: drift.DriftReport) -> str:
    rows = [text_report.row(item) for item in (*report.features, *report.predictions)]
    head = "".join(f"<th>{escape(cell)}</th>" for cell in text_report.HEADER)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in cells) + "</tr>" for cells in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def model_section(report: drift.DriftReport, title: str) -> str:
    heading, *_ = text_report.report_lines(report, title)
    notes = [
        line.strip()
        for line in text_report.report_lines(report, title)[1:]
        if line.startswith("  ")
    ]
    items = (*report.features, *report.predictions)
    return (
        f'<section class="model" data-sha="{escape(report.artifact_sha256)}">'
        f"<h2>{escape(title)}</h2><p>{escape(heading)}</p>{_table(report)}"
        + "".join(f"<p>{escape(note)}</p>" for note in notes)
        + f'<div class="charts">{"".join(_figure(item) for item in items)}</div></section>'
    )


def html_report(
    title: str,
    sections: list[tuple[drift.DriftReport, str]],
    notes: list[str],
    thresholds: drift.Thresholds,
) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1><p>{escape(text_report.thresholds_line(thresholds))}</p>"
        + "".join(f"<p>{escape(note)}</p>" for note in notes)
        + "".join(model_section(report, heading) for report, heading in sections)
        + "</body></html>\n"
    )
