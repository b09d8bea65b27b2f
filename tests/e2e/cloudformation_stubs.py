"""What the tests' stubbed CloudFormation answers: a stage's stack and its outputs."""

from __future__ import annotations

from typing import Any

from provisioning.naming import stack_name

STACK = stack_name("dev")
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
OUTPUTS = [
    {
        "OutputKey": "EndpointURL",
        "OutputValue": "https://abc123.execute-api.eu-west-1.amazonaws.com/api/",
    },
    {"OutputKey": "ApiKeyId", "OutputValue": "k3y1d"},
]


def stack(status: str, outputs: list[dict[str, str]] | None = None) -> dict[str, Any]:
    described = {"StackName": STACK, "StackStatus": status, "CreationTime": "2026-01-01T00:00:00Z"}
    if outputs:
        described["Outputs"] = outputs
    return {"Stacks": [described]}
