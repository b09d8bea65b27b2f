"""Property-based run of schemathesis against `chalice local` and the local endpoint.

Requests are generated from the served /openapi.json, valid and invalid ones both; every
answer must be documented (status, content type, schema) and none may be a 5xx.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
import requests
import schemathesis
from chalice.local import ChaliceRequestHandler
from hypothesis import HealthCheck, settings

from chalicelib.openapi import openapi_document
from chalicelib.settings import Settings
from chalicelib.signature import load_signature
from foundation.paths import IRIS_SIGNATURE, REPO_ROOT
from local_sagemaker.stack import Stack

# Per operation; /health and /openapi.json run out of distinct inputs long before this.
EXAMPLES_PER_OPERATION = 550
MINIMUM_REQUESTS = 1000


def served_document() -> dict[str, Any]:
    """The document `chalice local --stage local` serves, from the same stage variables."""
    config = json.loads((REPO_ROOT / "chalice_app" / ".chalice" / "config.json").read_text())
    environ = {
        **config["environment_variables"],
        **config["stages"]["local"]["environment_variables"],
    }
    stage = Settings.from_environ(environ)
    return openapi_document(
        load_signature(IRIS_SIGNATURE), stage.max_batch_size, stage.max_body_bytes
    )


statuses: Counter[tuple[str, int]] = Counter()

# schemathesis expands its operations at run time, inside one pytest item: pytest-xdist runs
# only the first, so `make test` runs this file in a pytest of its own, after the unit tests.
pytestmark = pytest.mark.own_pytest


# The document the app serves (a test checks the served one equals it), built without a server
# because schemathesis generates the tests at collection time.
schema = schemathesis.openapi.from_dict(served_document())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,  # the same requests on every run, so a failure reproduces
)
def test_api_answers_only_as_documented(case: schemathesis.Case, stack: Stack) -> None:
    if not hasattr(ChaliceRequestHandler, f"do_{case.method.upper()}"):
        # TRACE and the like never reach the app: chalice local's http.server answers 501
        # itself, and API Gateway answers 403 for a method a resource does not declare.
        return
    # A new connection per request: see the note on chalice local in test_end_to_end.
    response = case.call(base_url=stack.proxy_url, headers={"Connection": "close"}, timeout=30)
    statuses[(case.operation.label, response.status_code)] += 1
    case.validate_response(response)


def test_the_fuzzed_document_is_the_one_served(stack: Stack) -> None:
    assert requests.get(f"{stack.proxy_url}/openapi.json", timeout=10).json() == served_document()


def test_fuzzing_sent_enough_requests_and_saw_no_server_error() -> None:
    # Runs after the parametrized test above (pytest keeps file order).
    total = sum(statuses.values())
    print(f"schemathesis requests by operation and status: {dict(statuses)}")
    assert total >= MINIMUM_REQUESTS
    assert not [key for key in statuses if key[1] >= 500]
    assert statuses[("POST /predict", 200)] > 0 and statuses[("POST /predict", 400)] > 0
