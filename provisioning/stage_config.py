"""Point a Chalice stage at an endpoint: its stage variables, its IAM policy file and the
signature of the model the endpoint serves.

The endpoint's region and account are written into both, so the Lambda calls the region the
endpoint is in and its policy names that one endpoint, never a wildcard (DESIGN.md, Fidelity).
The signature goes to chalicelib/signatures/<stage>.json, which the Lambda ships, and the stage's
MODEL_SIGNATURE names it: the stage validates by the model it calls. The model's drift baseline
goes beside it, <stage>.baseline.json, for the stage's drift function and drift_report.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from artifacts.baseline_files import baseline_path_for
from artifacts.packaging import signature_text
from foundation.files import read_json, update_json, write_atomically
from foundation.lambda_code import drift, settings
from foundation.lambda_code import signature as sig
from foundation.paths import CHALICE_CONFIG_DIR
from provisioning.iam_documents import lambda_policy

# Stage variables the proxy reads (chalicelib/settings.py).
ENDPOINT_VARIABLE = "SAGEMAKER_ENDPOINT_NAME"
REGION_VARIABLE = "SAGEMAKER_REGION"
SIGNATURE_VARIABLE = settings.MODEL_SIGNATURE
# The Model Registry version the endpoint serves ("<group>/<version>"), when deployed from one.
VERSION_VARIABLE = "MODEL_VERSION"


def signature_file(config_dir: Path, stage: str) -> Path:
    """A stage's copy of its model's signature, in the chalicelib/ the Lambda ships."""
    return config_dir.parent / "chalicelib" / "signatures" / f"{stage}.json"


def baseline_file(signature_path: Path) -> Path:
    """The baseline beside a stage's signature: dev.json -> dev.baseline.json (what the drift
    function reads: chalicelib/drift_watch/run.py)."""
    return baseline_path_for(signature_path)


def stage_variables(config: dict[str, Any], stage: str) -> dict[str, str]:
    """The environment a stage's Lambda gets: the top level's variables, then the stage's own."""
    top = config.get("environment_variables", {})
    own = config.get("stages", {}).get(stage, {}).get("environment_variables", {})
    return {**top, **own}


def served_signature(config_dir: Path, stage: str, config: dict[str, Any]) -> Path:
    """The signature the stage validates by now: its MODEL_SIGNATURE (the proxy's default when
    unset), in the chalicelib/ beside ``config_dir`` unless it is an absolute path, as the proxy
    reads it (chalicelib/settings.py, Settings.signature_path)."""
    name = stage_variables(config, stage).get(SIGNATURE_VARIABLE) or settings.DEFAULT_SIGNATURE
    return config_dir.parent / "chalicelib" / "signatures" / name


@dataclass(frozen=True)
class StageFiles:
    """A stage's files as they are now, read and checked before any AWS call (a deploy that
    made an endpoint must not then find them unreadable)."""

    config_path: Path
    config: dict[str, Any]
    config_text: str
    policy_path: Path
    policy_text: str | None
    signature_path: Path

    @classmethod
    def read(cls, stage: str, config_dir: Path = CHALICE_CONFIG_DIR) -> StageFiles:
        """ValueError, in one line, when a file cannot be read, is not JSON, or is a folder."""
        config_path = config_dir / "config.json"
        config, config_text = read_json(config_path)
        stages = config.get("stages", {}) if isinstance(config, dict) else None
        if not isinstance(stages, dict) or not isinstance(stages.get(stage, {}), dict):
            raise ValueError(f'{config_path} has no "stages" object as Chalice reads it')
        policy_name = stages.get(stage, {}).get("iam_policy_file", f"policy-{stage}.json")
        policy_path = config_dir / policy_name
        policy_text = read_json(policy_path)[1] if policy_path.exists() else None
        signature_path = signature_file(config_dir, stage)
        if signature_path.exists() and not signature_path.is_file():
            raise ValueError(f"{signature_path} is not a file")
        for path in (config_path, policy_path, signature_path):
            folder = next(parent for parent in path.parents if parent.exists())
            if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
                raise ValueError(f"{path} cannot be written")
        return cls(config_path, config, config_text, policy_path, policy_text, signature_path)


def point_stage_at_endpoint(
    stage: str,
    endpoint_name: str,
    region: str,
    account: str,
    signature: sig.Signature,
    config_dir: Path = CHALICE_CONFIG_DIR,
    files: StageFiles | None = None,
    model_version: str | None = None,
    max_body_bytes: int | None = None,
    artifact: Path | None = None,
) -> list[Path]:
    """Write the endpoint's name and region into the stage's variables (and MAX_BODY_BYTES when
    given), its model's signature beside the Lambda's code, and regenerate its policy; each file
    atomically, in the formatting it has, and only when it changes. Returns the files written.
    With ``artifact``, its drift baseline (beside it) goes beside the stage's signature too; a
    baseline there of another model is removed either way."""
    files = files or StageFiles.read(stage, config_dir)
    written = []
    signature_bytes = signature_text(signature).encode("utf-8")
    if not files.signature_path.is_file() or files.signature_path.read_bytes() != signature_bytes:
        write_atomically(files.signature_path, signature_bytes)
        written.append(files.signature_path)
    written += _ship_baseline(files.signature_path, signature, artifact)
    config = json.loads(files.config_text)  # a copy, changed below
    stage_config = config.setdefault("stages", {}).setdefault(stage, {})
    variables = stage_config.setdefault("environment_variables", {})
    variables[ENDPOINT_VARIABLE] = endpoint_name
    variables[REGION_VARIABLE] = region
    variables[SIGNATURE_VARIABLE] = files.signature_path.name
    if max_body_bytes is not None:
        variables[settings.MAX_BODY_BYTES] = str(max_body_bytes)
    if model_version:
        variables[VERSION_VARIABLE] = model_version
    else:
        variables.pop(VERSION_VARIABLE, None)
    stage_config["autogen_policy"] = False
    stage_config.setdefault("iam_policy_file", files.policy_path.name)
    if update_json(files.config_path, config, files.config_text):
        written.append(files.config_path)
    policy = lambda_policy(region, account, endpoint_name, stage)
    if update_json(files.policy_path, policy, files.policy_text):
        written.append(files.policy_path)
    return written


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


def _ship_baseline(
    signature_path: Path, signature: sig.Signature, artifact: Path | None
) -> list[Path]:
    """The artifact's baseline copied beside the stage's signature, when it has one (BaselineError,
    one line, when it is not the signature's model's); a stage's baseline of another model goes."""
    target = baseline_file(signature_path)
    source = baseline_path_for(artifact) if artifact is not None else None
    if source is not None and source.is_file():
        content = source.read_bytes()
        try:
            drift.bound_baseline(drift.parse_baseline(content, str(source)), signature)
        except drift.BaselineError as error:
            raise drift.BaselineError(f"{source}: {error}") from None
        if target.is_file() and target.read_bytes() == content:
            return []
        write_atomically(target, content)
        return [target]
    if not target.is_file():
        return []
    try:
        if drift.read_baseline(target).artifact_sha256 == signature.artifact_sha256:
            return []
    except drift.BaselineError:
        pass
    target.unlink()
    return [target]
