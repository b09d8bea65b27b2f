"""The baseline in SageMaker Model Monitor's own formats, so a user who moves to Model Monitor
starts from the same baseline: ``statistics.json`` ("Schema for Statistics (statistics.json
file)", docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-statistics.html) and
``constraints.json`` ("Schema for Constraints (constraints.json file)",
docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-constraints.html), version 0.

Numbers are ``Integral`` or ``Fractional`` with ``numerical_statistics``, booleans and categories
``String`` with ``string_statistics`` (their names, as Model Monitor sees a category). The KLL
sketch Model Monitor's own baselining job writes is a sketch of every value; this one's data is
the baseline's 101 percentiles as one level of items, a summary of the same distribution (the
buckets are the baseline's own bins, their open ends closed at the minimum and maximum). The
constraints' thresholds are Model Monitor's documented defaults, the drift threshold
(comparison_threshold) this project's PSI alert level is not: Model Monitor compares
distributions by its own distance.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from foundation.lambda_code import drift
from foundation.lambda_code import signature as sig

# The KLL parameters Model Monitor's own statistics carry.
KLL_PARAMETERS = {"c": 0.64, "k": 2048.0}
# Model Monitor lists a category's values as a domain when there are this few or fewer.
DOMAIN_LIMIT = 1000


def _numerical(distribution: drift.Distribution) -> dict[str, Any]:
    common = {"num_present": distribution.present, "num_missing": distribution.missing}
    if not distribution.present:
        return {"common": common}
    assert distribution.minimum is not None and distribution.maximum is not None
    assert distribution.mean is not None and distribution.percentiles is not None
    bounds = [distribution.minimum, *(distribution.edges or ()), distribution.maximum]
    buckets = [
        {"lower_bound": low, "upper_bound": max(low, high), "count": count}
        for (low, high), count in zip(pairwise(bounds), distribution.counts, strict=True)
    ]
    return {
        "common": common,
        "mean": distribution.mean,
        "sum": distribution.mean * distribution.present,
        "std_dev": distribution.std_dev,
        "min": distribution.minimum,
        "max": distribution.maximum,
        "distribution": {
            "kll": {
                "buckets": buckets,
                "sketch": {"parameters": KLL_PARAMETERS, "data": [list(distribution.percentiles)]},
            }
        },
    }


def _string(distribution: drift.Distribution) -> dict[str, Any]:
    categories = distribution.categories or ()
    return {
        "common": {"num_present": distribution.present, "num_missing": distribution.missing},
        "distinct_count": sum(1 for count in distribution.counts if count),
        "distribution": {
            "categorical": {
                "buckets": [
                    {"value": name, "count": count}
                    for name, count in zip(categories, distribution.counts, strict=True)
                    if count
                ]
            }
        },
    }


def inferred_type(distribution: drift.Distribution) -> str:
    if not distribution.is_number:
        return "String"
    return "Integral" if distribution.type == sig.INTEGER else "Fractional"


def statistics(baseline: drift.Baseline) -> dict[str, Any]:
    """statistics.json: the dataset's item count, then each feature's statistics."""
    features = []
    for distribution in baseline.features:
        entry: dict[str, Any] = {
            "name": distribution.name,
            "inferred_type": inferred_type(distribution),
        }
        if distribution.is_number:
            entry["numerical_statistics"] = _numerical(distribution)
        else:
            entry["string_statistics"] = _string(distribution)
        features.append(entry)
    return {"version": 0, "dataset": {"item_count": baseline.rows}, "features": features}


def constraints(baseline: drift.Baseline) -> dict[str, Any]:
    """constraints.json: each feature's type, completeness (its share of present values), a
    number's non-negativity and a category's domain, and the monitoring config."""
    features = []
    for distribution in baseline.features:
        entry: dict[str, Any] = {
            "name": distribution.name,
            "inferred_type": inferred_type(distribution),
            "completeness": distribution.present / distribution.rows if distribution.rows else 0.0,
        }
        if distribution.is_number:
            minimum = distribution.minimum
            entry["num_constraints"] = {"is_non_negative": minimum is not None and minimum >= 0}
        elif len(distribution.categories or ()) <= DOMAIN_LIMIT:
            entry["string_constraints"] = {"domains": list(distribution.categories or ())}
        features.append(entry)
    return {
        "version": 0,
        "features": features,
        "monitoring_config": {
            "evaluate_constraints": "Enabled",
            "emit_metrics": "Enabled",
            "datatype_check_threshold": 1.0,
            "domain_content_threshold": 1.0,
            "distribution_constraints": {
                "perform_comparison": "Enabled",
                "comparison_threshold": 0.1,
                # The schema's listing spells it "comparion_method", a typo by every
                # constraints file we could find, which spell it so.
                "comparison_method": "Robust",
            },
        },
    }
