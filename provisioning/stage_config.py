"""Point a Chalice stage at an endpoint: its stage variables and its IAM policy file.

The endpoint's region and account are written into both, so the Lambda calls the region the
endpoint is in and its policy names that one endpoint, never a wildcard (DESIGN.md, Fidelity).
"""

from __future__ import annotations

import json
from pathlib import Path

from paths import CHALICE_CONFIG_DIR
from provisioning.iam_documents import lambda_policy

# Stage variables the proxy reads (chalicelib/settings.py).
ENDPOINT_VARIABLE = "SAGEMAKER_ENDPOINT_NAME"
REGION_VARIABLE = "SAGEMAKER_REGION"


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
