"""Where a baseline lives: beside its model's signature, ``<name>.baseline.json`` beside
``<name>.signature.json`` (``build/model.baseline.json`` beside ``build/model.signature.json``; a
stage's ``<stage>.baseline.json`` beside ``<stage>.json``), with the same baseline in Model
Monitor's two formats, ``<name>.statistics.json`` and ``<name>.constraints.json`` (a monitoring
schedule's baseline config names each by its S3 URI, whatever its name). Found again by the
artifact it was made for."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from artifacts import model_monitor
from foundation.lambda_code import drift
from foundation.lambda_code import signature as sig

BASELINE_SUFFIX = ".baseline.json"
# Model Monitor's statistics.json and constraints.json.
STATISTICS_SUFFIX, CONSTRAINTS_SUFFIX = ".statistics.json", ".constraints.json"
# Beside an artifact, and beside a stage's signature (chalicelib/signatures/<stage>.json).
_SIGNATURE_SUFFIXES = (".signature.json", ".json")
# How to make a baseline for a model that has none, said wherever one is missing.
MAKE_BASELINE = (
    "python -m scripts.make_baseline --model ARTIFACT --data DATA.csv (a CSV of the model's "
    "input, a header naming its features)"
)


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".tar.gz", BASELINE_SUFFIX, *_SIGNATURE_SUFFIXES):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def baseline_path_for(path: Path) -> Path:
    """The baseline beside an artifact or a signature: model.tar.gz, model.signature.json ->
    model.baseline.json; dev.json -> dev.baseline.json."""
    return path.with_name(_stem(path) + BASELINE_SUFFIX)


def model_monitor_paths_for(path: Path) -> tuple[Path, Path]:
    """Model Monitor's statistics and constraints files beside an artifact or signature."""
    stem = _stem(path)
    return path.with_name(stem + STATISTICS_SUFFIX), path.with_name(stem + CONSTRAINTS_SUFFIX)


def signature_beside(baseline_path: Path) -> Path | None:
    """The signature a baseline file sits beside, when there is one."""
    for suffix in _SIGNATURE_SUFFIXES:
        candidate = baseline_path.with_name(_stem(baseline_path) + suffix)
        if candidate.is_file():
            return candidate
    return None


def baseline_files(baseline: drift.Baseline, beside: Path) -> dict[Path, bytes]:
    """What a model's baseline writes beside its signature (or artifact: the same name), the
    baseline first, then Model Monitor's statistics.json and constraints.json."""
    statistics, constraints = model_monitor_paths_for(beside)

    def text(document: object) -> bytes:
        return (json.dumps(document, indent=1) + "\n").encode()

    return {
        baseline_path_for(beside): drift.baseline_text(baseline).encode(),
        statistics: text(model_monitor.statistics(baseline)),
        constraints: text(model_monitor.constraints(baseline)),
    }


@dataclass(frozen=True)
class Found:
    """A baseline and the signature of the model it was made for, read and bound."""

    baseline: drift.Baseline
    signature: sig.Signature
    path: Path


def candidates(places: Iterable[Path]) -> Iterator[Path]:
    """Baseline files: each place that is a file, and every baseline under each folder."""
    for place in places:
        if place.is_file():
            yield place
        elif place.is_dir():
            yield from sorted(place.rglob(f"*{BASELINE_SUFFIX}"))


def find_baselines(places: Iterable[Path]) -> tuple[dict[str, Found], list[str]]:
    """Every readable baseline in ``places`` with the signature beside it, by artifact sha256
    (the first found of each), and one line for each file that could not be used."""
    found: dict[str, Found] = {}
    problems: list[str] = []
    for path in candidates(places):
        try:
            baseline = drift.read_baseline(path)
        except drift.BaselineError as error:
            problems.append(str(error))
            continue
        if baseline.artifact_sha256 in found:
            continue
        signature_path = signature_beside(path)
        if signature_path is None:
            problems.append(f"{path}: no signature beside it")
            continue
        try:
            signature = sig.read_signature(signature_path)
            drift.bound_baseline(baseline, signature)
        except (sig.SignatureError, drift.BaselineError) as error:
            problems.append(f"{path}: {error}")
            continue
        found[baseline.artifact_sha256] = Found(baseline, signature, path)
    return found, problems


def foreign_baseline(beside: Path, baseline: drift.Baseline) -> Path | None:
    """The baseline file beside ``beside`` when it is there and made for another artifact (a new
    baseline of the same model replaces the old one: it is the same model's)."""
    path = baseline_path_for(beside)
    if not path.exists():
        return None
    try:
        existing = drift.read_baseline(path)
    except drift.BaselineError:
        return path
    return None if existing.artifact_sha256 == baseline.artifact_sha256 else path
