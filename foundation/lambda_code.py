"""The Lambda's own modules, for the code on this side that must read what the proxy reads the
way the proxy reads it: the model's signature, its records, its answers, its CSV. Chalice ships only
``chalice_app/`` (app.py and chalicelib/), so they live there and are imported from there."""

from __future__ import annotations

import sys

from foundation.paths import CHALICE_DIR

if str(CHALICE_DIR) not in sys.path:
    sys.path.append(str(CHALICE_DIR))

from chalicelib import answers, drift, features, predictor, settings, signature, validation
from chalicelib.batch import jobs as batch_jobs
from chalicelib.batch import triggers as batch_triggers
from chalicelib.drift_watch import metrics as drift_metrics
from chalicelib.drift_watch import schedule as drift_schedule
from chalicelib.signin import auth

__all__ = [
    "answers",
    "auth",
    "batch_jobs",
    "batch_triggers",
    "drift",
    "drift_metrics",
    "drift_schedule",
    "features",
    "predictor",
    "settings",
    "signature",
    "validation",
]
