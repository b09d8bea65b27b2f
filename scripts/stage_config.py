"""Point a Chalice stage at an endpoint: its stage variables and its IAM policy file.

The endpoint's region and account are written into both, so the Lambda calls the region the
endpoint is in and its policy names that one endpoint, never a wildcard (DESIGN.md, Fidelity).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CHALICE_DIR = Path(__file__).resolve().parent.parent / "chalice_app"
CHALICE_CONFIG_DIR = CHALICE_DIR / ".chalice"
LAMBDA_METADATA = CHALICE_DIR / "chalicelib" / "model_metadata.json"
APP_NAME = "sagemaker-proxy"
# Stage variables the proxy reads (chalicelib/settings.py).
ENDPOINT_VARIABLE = "SAGEMAKER_ENDPOINT_NAME"
REGION_VARIABLE = "SAGEMAKER_REGION"


def function_name(stage: str) -> str:
    """The Lambda's name: Chalice's ``<app>-<stage>``, which `make deploy` sets as well."""
    return f"{APP_NAME}-{stage}"


def endpoint_arn(region: str, account: str, endpoint_name: str) -> str:
    # SageMaker ARNs carry the endpoint name in lower case.
    return f"arn:aws:sagemaker:{region}:{account}:endpoint/{endpoint_name.lower()}"


def log_group_arn(region: str, account: str, stage: str) -> str:
    return f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/{function_name(stage)}"


def lambda_policy(region: str, account: str, endpoint_name: str, stage: str) -> dict[str, Any]:
    """Only what the proxy calls, on the one endpoint, plus the Lambda's own log group."""
    log_group = log_group_arn(region, account, stage)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CallTheOneEndpoint",
                "Effect": "Allow",
                "Action": ["sagemaker:InvokeEndpoint", "sagemaker:DescribeEndpoint"],
                "Resource": endpoint_arn(region, account, endpoint_name),
            },
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [log_group, f"{log_group}:*"],
            },
        ],
    }


def point_stage_at_endpoint(
    stage: str, endpoint_name: str, region: str, account: str, config_dir: Path = CHALICE_CONFIG_DIR
) -> list[Path]:
    """Write the endpoint's name and region into the stage's variables and regenerate its policy."""
    config_path = config_dir / "config.json"
    config = json.loads(config_path.read_text())
    stage_config = config.setdefault("stages", {}).setdefault(stage, {})
    variables = stage_config.setdefault("environment_variables", {})
    variables[ENDPOINT_VARIABLE] = endpoint_name
    variables[REGION_VARIABLE] = region
    stage_config["autogen_policy"] = False
    policy_name = stage_config.setdefault("iam_policy_file", f"policy-{stage}.json")
    config_path.write_text(json.dumps(config, indent=2) + "\n")
    policy_path = config_dir / policy_name
    policy = lambda_policy(region, account, endpoint_name, stage)
    policy_path.write_text(json.dumps(policy, indent=2) + "\n")
    return [config_path, policy_path]
