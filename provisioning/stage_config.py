"""Point a Chalice stage at an endpoint: its stage variables, its IAM policy file and the
signature of the model the endpoint serves.

The endpoint's region and account are written into both, so the Lambda calls the region the
endpoint is in and its policy names that one endpoint, never a wildcard (DESIGN.md, Fidelity).
The signature goes to chalicelib/signatures/<stage>.json, which the Lambda ships, and the stage's
MODEL_SIGNATURE names it: the stage validates by the model it calls.
"""

from __future__ import annotations

import json
from pathlib import Path

from artifacts.packaging import signature_text, write_atomically
from lambda_code import settings
from lambda_code import signature as sig
from paths import CHALICE_CONFIG_DIR
from provisioning.iam_documents import lambda_policy

# Stage variables the proxy reads (chalicelib/settings.py).
ENDPOINT_VARIABLE = "SAGEMAKER_ENDPOINT_NAME"
REGION_VARIABLE = "SAGEMAKER_REGION"
SIGNATURE_VARIABLE = settings.MODEL_SIGNATURE


def signature_file(config_dir: Path, stage: str) -> Path:
    """A stage's copy of its model's signature, in the chalicelib/ the Lambda ships."""
    return config_dir.parent / "chalicelib" / "signatures" / f"{stage}.json"


def point_stage_at_endpoint(
    stage: str,
    endpoint_name: str,
    region: str,
    account: str,
    signature: sig.Signature,
    config_dir: Path = CHALICE_CONFIG_DIR,
) -> list[Path]:
    """Write the endpoint's name and region into the stage's variables, its model's signature
    beside the Lambda's code, and regenerate its policy."""
    signature_path = signature_file(config_dir, stage)
    write_atomically(signature_path, signature_text(signature).encode("utf-8"))
    config_path = config_dir / "config.json"
    config = json.loads(config_path.read_text())
    stage_config = config.setdefault("stages", {}).setdefault(stage, {})
    variables = stage_config.setdefault("environment_variables", {})
    variables[ENDPOINT_VARIABLE] = endpoint_name
    variables[REGION_VARIABLE] = region
    variables[SIGNATURE_VARIABLE] = signature_path.name
    stage_config["autogen_policy"] = False
    policy_name = stage_config.setdefault("iam_policy_file", f"policy-{stage}.json")
    config_path.write_text(json.dumps(config, indent=2) + "\n")
    policy_path = config_dir / policy_name
    policy = lambda_policy(region, account, endpoint_name, stage)
    policy_path.write_text(json.dumps(policy, indent=2) + "\n")
    return [signature_path, config_path, policy_path]


def signature_of_endpoint(endpoint_name: str, config_dir: Path = CHALICE_CONFIG_DIR) -> Path | None:
    """The signature of the stage that calls ``endpoint_name`` (deploy_endpoint recorded it),
    when the stages that call it agree on one."""
    config = json.loads((config_dir / "config.json").read_text())
    top = config.get("environment_variables", {})
    signatures = config_dir.parent / "chalicelib" / "signatures"
    found = {
        signatures / variables[SIGNATURE_VARIABLE]
        for stage in config.get("stages", {}).values()
        for variables in [{**top, **stage.get("environment_variables", {})}]
        if variables.get(ENDPOINT_VARIABLE) == endpoint_name and SIGNATURE_VARIABLE in variables
    }
    return found.pop() if len(found) == 1 else None
