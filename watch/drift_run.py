"""One run of ``scripts.drift_report``: the stage's endpoint, its capture in the window (from S3
or a local folder), each model's baseline, the reports, printed and written.

Exit codes: 0 nothing crossed a threshold (or nothing was captured), 1 a threshold was crossed,
2 the run could not judge: bad arguments, a model in the window without a baseline (and no
drift found elsewhere), capture that could not be read.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from artifacts.baseline_files import MAKE_BASELINE, Found, baseline_path_for, find_baselines
from foundation.files import write_atomically
from foundation.lambda_code import drift
from foundation.paths import BUILD_DIR, CHALICE_CONFIG_DIR
from provisioning.stage_config import ENDPOINT_VARIABLE, REGION_VARIABLE, SIGNATURE_VARIABLE
from watch import html_report, text_report

FINE, DRIFT, BAD_INPUT = 0, 1, 2


class RunRefused(ValueError):
    """The run cannot go on: one line, exit 2."""


@dataclass(frozen=True)
class Target:
    """What a stage serves: its endpoint, region (when it records one), signature file."""

    stage: str
    endpoint: str
    region: str | None
    signature: Path | None

    @property
    def capture_prefix(self) -> str:
        return f"capture/{self.endpoint}"


def stage_target(stage: str, config_dir: Path = CHALICE_CONFIG_DIR) -> Target:
    try:
        config = json.loads((config_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RunRefused(f"{config_dir / 'config.json'} cannot be read ({error})") from None
    stages = config.get("stages", {})
    if stage not in stages:
        raise RunRefused(
            f"no stage {stage!r} in {config_dir / 'config.json'} ({', '.join(stages)})"
        )
    variables = {
        **config.get("environment_variables", {}),
        **stages[stage].get("environment_variables", {}),
    }
    endpoint = variables.get(ENDPOINT_VARIABLE)
    if not endpoint:
        raise RunRefused(f"stage {stage} names no endpoint ({ENDPOINT_VARIABLE})")
    signature = variables.get(SIGNATURE_VARIABLE)
    path = config_dir.parent / "chalicelib" / "signatures" / signature if signature else None
    return Target(stage, endpoint, variables.get(REGION_VARIABLE), path)


@dataclass
class Outcome:
    code: int
    reading: drift.CaptureReading
    # What the window held beyond the reports (one line each), then everything printed.
    notes: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def baseline_places(target: Target, given: list[Path], build: Path = BUILD_DIR) -> list[Path]:
    """Where the window's models' baselines are looked for: those given, the stage's (beside the
    signature it ships), and every one under build/ (an import's, a training's, a registry
    version's fetched by deploy_endpoint)."""
    places = list(given)
    if target.signature is not None:
        places.append(baseline_path_for(target.signature))
    return [*places, build]


def judge(
    target: Target,
    store: drift.Store,
    models: dict[str, Found],
    thresholds: drift.Thresholds,
    start: datetime.datetime | None,
    end: datetime.datetime | None,
    where: str,
) -> Outcome:
    """Read the window and say what it holds, model by model."""
    reading = drift.read_capture(
        store,
        target.capture_prefix,
        {sha: (found.baseline, found.signature) for sha, found in models.items()},
        thresholds,
        start,
        end,
    )
    span = f"from {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC" if start and end else "ever"
    if reading.nothing_captured:
        nothing = f"nothing captured for endpoint {target.endpoint} {span} ({where})"
        return Outcome(FINE, reading, [nothing], [nothing])
    notes = [f"endpoint {target.endpoint} (stage {target.stage}), {span}, read from {where}"]
    if reading.unattributed:
        notes.append(
            f"{reading.unattributed} lines under capture paths that name no model (endpoint configs "
            "made before capture named its model) were not read: redeploy with "
            "deploy_endpoint --capture-percent N"
        )
    for sha, count in sorted(reading.without_baseline.items()):
        notes.append(
            f"model {sha[:12]}: {count} lines captured and no baseline: make one with "
            f"{MAKE_BASELINE}"
        )
    lines = list(notes)
    crossed = False
    for sha, report in reading.reports.items():
        lines.append("")
        lines += text_report.report_lines(report, f"model {sha[:12]}")
        crossed = crossed or report.crossed
    lines += ["", text_report.thresholds_line(thresholds)]
    code = DRIFT if crossed else BAD_INPUT if reading.without_baseline else FINE
    return Outcome(code, reading, notes, lines)


def write_html(path: Path, target: Target, outcome: Outcome, thresholds: drift.Thresholds) -> None:
    sections = [(report, f"model {sha[:12]}") for sha, report in outcome.reading.reports.items()]
    title = f"Drift of endpoint {target.endpoint} (stage {target.stage})"
    write_atomically(
        path, html_report.html_report(title, sections, outcome.notes, thresholds).encode()
    )


def run(
    target: Target,
    store: drift.Store,
    places: list[Path],
    thresholds: drift.Thresholds,
    start: datetime.datetime | None,
    end: datetime.datetime | None,
    where: str,
    html: Path | None = None,
    out: Callable[[str], None] = print,
) -> int:
    found, problems = find_baselines(places)
    for problem in problems:
        out(f"skipped baseline {problem}")
    outcome = judge(target, store, found, thresholds, start, end, where)
    for line in outcome.lines:
        out(line)
    if html is not None:
        write_html(html, target, outcome, thresholds)
        out(f"report: {html}")
    return outcome.code
