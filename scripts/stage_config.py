"""Point a Chalice stage at an endpoint: its stage variable and its IAM policy file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CHALICE_CONFIG_DIR = Path(__file__).resolve().parent.parent / "chalice_app" / ".chalice"


def endpoint_arn(region: str, account: str, endpoint_name: str) -> str:
    # SageMaker ARNs carry the endpoint name in lower case.
    return f"arn:aws:sagemaker:{region}:{account}:endpoint/{endpoint_name.lower()}"


def lambda_policy(arn: str) -> dict[str, Any]:
    """Only what the proxy calls, on the one endpoint, plus the Lambda's own logs."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CallTheOneEndpoint",
                "Effect": "Allow",
                "Action": ["sagemaker:InvokeEndpoint", "sagemaker:DescribeEndpoint"],
                "Resource": arn,
            },
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "arn:*:logs:*:*:*",
            },
        ],
    }


def point_stage_at_endpoint(
    stage: str, endpoint_name: str, arn: str, config_dir: Path = CHALICE_CONFIG_DIR
) -> list[Path]:
    """Write the endpoint name into the stage's variables and regenerate its policy file."""
    config_path = config_dir / "config.json"
    config = json.loads(config_path.read_text())
    stage_config = config.setdefault("stages", {}).setdefault(stage, {})
    stage_config.setdefault("environment_variables", {})["SAGEMAKER_ENDPOINT_NAME"] = endpoint_name
    stage_config["autogen_policy"] = False
    policy_name = stage_config.setdefault("iam_policy_file", f"policy-{stage}.json")
    config_path.write_text(json.dumps(config, indent=2) + "\n")
    policy_path = config_dir / policy_name
    policy_path.write_text(json.dumps(lambda_policy(arn), indent=2) + "\n")
    return [config_path, policy_path]
