"""The contract between model versions: what a stage's clients rely on in its model's signature
(the features in order, each one's name, type, optionality, bounds and categories; the objective;
the class labels; any other key the signature gains), compared between the model a stage serves
and the one about to replace it.

A change of signature is a change of the public API (DESIGN.md, "The signature"), so
scripts.deploy_endpoint shows it as a table and as the difference between the two /openapi.json
request and response schemas, and refuses it, before any AWS call, unless told so.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from foundation.lambda_code import signature as sig

# What the signature file holds that is not the API: which bytes it describes, which XGBoost
# saved them, its example rows and what the training reported.
NOT_CONTRACT = frozenset({"format", "artifact_sha256", "xgboost_version", "examples", "training"})
# A feature's prose: shown in the document, but no body is accepted or refused for it.
NOT_FEATURE_CONTRACT = frozenset({"description"})
BOUNDS = ("minimum", "maximum", "exclusive_minimum", "exclusive_maximum")
# A list in a table cell: so many items, each cut to so many characters.
SHOWN_ITEMS = 6
ITEM_CHARS = 24
# Rows of the table printed, and lines of the OpenAPI difference: a model of thousands of
# features, or a feature of thousands of categories, is cut short.
SHOWN_CHANGES = 40
DIFF_LINES = 120
ACCEPT_FLAG = "--accept-signature-change"


def contract_json(signature: sig.Signature) -> dict[str, Any]:
    """The signature as its clients see it: the file without what is not the API, bounds as
    floats (a hand-edited 100 and a written 100.0 are one bound)."""
    document = {key: value for key, value in signature.to_json().items() if key not in NOT_CONTRACT}
    document["features"] = [
        {
            key: float(value) if key in BOUNDS else value
            for key, value in feature.items()
            if key not in NOT_FEATURE_CONTRACT
        }
        for feature in document["features"]
    ]
    return document


def contract_sha256(signature: sig.Signature) -> str:
    """A stable sha256 of the canonical contract JSON (sorted keys, no spaces, UTF-8): equal for
    two models whose bodies and answers are the same to every client."""
    text = json.dumps(
        contract_json(signature), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Change:
    """One row of the table: what changed, how, and its value before and after."""

    what: str
    change: str
    before: str
    after: str


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        items = [str(item)[:ITEM_CHARS] for item in value[:SHOWN_ITEMS]]
        more = len(value) - len(items)
        return ", ".join(items) + (f", ... ({len(value)} in all)" if more > 0 else "")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _summary(feature: dict[str, Any]) -> str:
    """A feature in a cell: its type, optional, bounds and categories."""
    parts = [str(feature.get("type", sig.NUMBER))]
    if feature.get("optional"):
        parts.append("optional")
    parts += [f"{key} {_shown(feature[key])}" for key in BOUNDS if key in feature]
    if "categories" in feature:
        parts.append(f"categories {_shown(feature['categories'])}")
    return ", ".join(parts)


def _feature_changes(name: str, before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    keys = sorted((set(before) | set(after)) - {"name"})
    return [
        Change(f"feature {name}", key, _shown(before.get(key)), _shown(after.get(key)))
        for key in keys
        if before.get(key) != after.get(key)
    ]


def differences(served: sig.Signature, new: sig.Signature) -> list[Change]:
    """Every difference of contract between the served signature and the new one: features
    added, removed, renamed (another name at the same place), retyped or rebounded, their order,
    the objective, the labels, and any other key of the contract."""
    before, after = contract_json(served), contract_json(new)
    old_features = {feature["name"]: feature for feature in before.pop("features")}
    new_features = {feature["name"]: feature for feature in after.pop("features")}
    old_names, new_names = list(old_features), list(new_features)
    removed = [name for name in old_names if name not in new_features]
    added = [name for name in new_names if name not in old_features]
    # A name gone from a place where a new name now stands, the feature otherwise the same, is a
    # rename; anything more is a feature removed and another added.
    renamed = {
        old: new
        for old, new in zip(old_names, new_names, strict=False)
        if old in removed
        and new in added
        and not _feature_changes(new, old_features[old], new_features[new])
    }
    changes = [Change(f"feature {old}", "renamed", old, new) for old, new in renamed.items()]
    changes += [
        Change(f"feature {name}", "removed", _summary(old_features[name]), "-")
        for name in removed
        if name not in renamed
    ]
    changes += [
        Change(f"feature {name}", "added", "-", _summary(new_features[name]))
        for name in added
        if name not in renamed.values()
    ]
    kept = [name for name in old_names if name in new_features]
    for name in kept:
        changes += _feature_changes(name, old_features[name], new_features[name])
    kept_after = [name for name in new_names if name in old_features]
    if kept != kept_after:
        changes.append(Change("features", "order", _shown(kept), _shown(kept_after)))
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            changes.append(Change(key, "changed", _shown(before.get(key)), _shown(after.get(key))))
    return changes


def change_table(changes: Sequence[Change]) -> list[str]:
    """The lines of the table: a header, then a line per change, at most SHOWN_CHANGES."""
    rows = [("what", "change", "served now", "new model")]
    rows += [(c.what, c.change, c.before, c.after) for c in changes[:SHOWN_CHANGES]]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    more = len(changes) - SHOWN_CHANGES
    return lines + ([f"... ({more} more changes)"] if more > 0 else [])


def openapi_diff(
    served: sig.Signature, new: sig.Signature, max_batch_size: int, max_body_bytes: int
) -> list[str]:
    """The unified difference of the request and response schemas of ``GET /openapi.json`` as
    the stage's proxy makes them for each signature, cut to DIFF_LINES lines."""
    from chalicelib.openapi import openapi_document  # pydantic: only when there is a change

    def schemas(signature: sig.Signature) -> list[str]:
        document = openapi_document(signature, max_batch_size, max_body_bytes)
        return json.dumps(document["components"]["schemas"], indent=2, sort_keys=True).splitlines()

    lines = list(
        difflib.unified_diff(
            schemas(served),
            schemas(new),
            "served /openapi.json",
            "new /openapi.json",
            n=2,
            lineterm="",
        )
    )
    if len(lines) > DIFF_LINES:
        lines = [*lines[:DIFF_LINES], f"... ({len(lines) - DIFF_LINES} more lines)"]
    return lines or ["(the request and response schemas are the same)"]


class ContractRefused(ValueError):
    """The deploy would change the stage's API unasked: a line, then the table. Exit 2."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class ContractReview:
    """What the deploy does to the stage's API: nothing, or the changes shown."""

    changes: tuple[Change, ...]
    report: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def review_contract(
    stage: str,
    served: sig.Signature | None,
    new: sig.Signature,
    accepted: bool,
    limits: tuple[int, int] = (100, 65536),
) -> ContractReview:
    """Compare the stage's served signature (None: it serves none yet) with the new one;
    ContractRefused when they differ and the change was not accepted. ``limits``: the stage's
    MAX_BATCH_SIZE and MAX_BODY_BYTES, which the document states."""
    sha = contract_sha256(new)[:12]
    if served is None:
        return ContractReview((), (f"contract: stage {stage} serves no signature yet ({sha})",))
    changes = tuple(differences(served, new))
    if not changes:
        return ContractReview((), (f"contract: the same as stage {stage} serves ({sha})",))
    count = f"{len(changes)} change{'s' if len(changes) > 1 else ''}"
    table = change_table(changes)
    diff = openapi_diff(served, new, *limits)
    if not accepted:
        raise ContractRefused(
            [
                f"REFUSED: the model's signature changes stage {stage}'s API ({count}, contract "
                f"{contract_sha256(served)[:12]} -> {sha}); every client of the stage would get "
                f"it unasked: rerun with {ACCEPT_FLAG} to deploy it (nothing made)",
                *table,
                *diff,
            ]
        )
    return ContractReview(
        changes,
        (
            f"contract: stage {stage}'s API changes ({count}, accepted, "
            f"{contract_sha256(served)[:12]} -> {sha}):",
            *table,
            *diff,
        ),
    )
