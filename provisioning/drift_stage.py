"""A stage's drift function, switched on or off: its variables
(chalicelib/drift_watch/schedule.py), its own policy file, and what it needs to judge anything: the model's baseline beside the stage's
signature, and the bucket the stage's endpoint captures into."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from foundation.lambda_code import drift, drift_schedule
from foundation.lambda_code import signature as sig
from provisioning import stage_config
from provisioning.api.functions import function_name
from provisioning.stage_config import StageFiles
from provisioning.stage_functions import write_stage_functions

# The function's own settings in config.json. One run at a time: two would publish one window
# twice. A day's capture of 1,000,000 records took 18 s on a laptop core (`make bench`); a Lambda
# of 1,024 MB has about 0.6 of a vCPU (CPU grows with memory), so ten minutes leaves room.
FUNCTION_CONFIG = {"reserved_concurrency": 1, "lambda_timeout": 600, "lambda_memory_size": 1024}
# How a stage gets its model's baseline beside its signature.
MAKE_BASELINE = (
    "make one with `python -m scripts.make_baseline --model ARTIFACT --data DATA.csv` (beside the "
    "artifact), then `python -m scripts.deploy_endpoint --stage {stage} --model ARTIFACT ...` "
    "copies it beside the stage's signature"
)
_DESTINATION = re.compile(r"s3://([^/]+)/(.*)")


@dataclass(frozen=True)
class DriftStage:
    stage: str
    bucket: str
    schedule: str
    thresholds: drift.Thresholds

    def variables(self) -> dict[str, str]:
        found = {drift_schedule.SCHEDULE: self.schedule, drift_schedule.BUCKET: self.bucket}
        for variable, field in drift_schedule.THRESHOLDS.items():
            found[variable] = f"{getattr(self.thresholds, field):g}"
        return found


def policy_file_name(stage: str) -> str:
    return f"policy-{stage}-drift.json"


def drift_policy(
    region: str, account: str, stage: str, endpoint: str, bucket: str
) -> dict[str, Any]:
    """Read the one endpoint's capture and write the function's own logs; nothing else (its
    metrics go in its log: chalicelib/drift_watch/metrics.py)."""
    prefix = f"capture/{endpoint}/"
    log_group = (
        f"arn:aws:logs:{region}:{account}:log-group:/aws/lambda/"
        f"{function_name(stage, drift_schedule.FUNCTION)}"
    )
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListTheCapture",
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{bucket}",
                "Condition": {"StringLike": {"s3:prefix": [prefix + "*"]}},
            },
            {
                "Sid": "ReadTheCapture",
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/{prefix}*",
            },
            {
                "Sid": "WriteOwnLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [log_group, f"{log_group}:*"],
            },
        ],
    }


def write_stage(
    files: StageFiles, stage_name: str, wanted: DriftStage | None, policy: dict[str, Any] | None
) -> list[Path]:
    """The stage's drift variables, function and policy as ``wanted`` says (None: switched off);
    each file atomically, in its own formatting. The batch functions' entries stay as they are."""
    return write_stage_functions(
        files,
        stage_name,
        drift_schedule.VARIABLES,
        {drift_schedule.FUNCTION: FUNCTION_CONFIG},
        policy_file_name(stage_name),
        wanted.variables() if wanted is not None else None,
        policy,
    )


def stage_baseline(config_dir: Path, stage: str) -> tuple[drift.Baseline, sig.Signature]:
    """The baseline shipped beside the stage's signature, bound to it; ValueError naming how to
    make one when it is missing, unreadable or another model's."""
    config = json.loads((config_dir / "config.json").read_text(encoding="utf-8"))
    signature_path = stage_config.served_signature(config_dir, stage, config)
    path = stage_config.baseline_file(signature_path)
    how = MAKE_BASELINE.format(stage=stage)
    try:
        signature = sig.read_signature(signature_path)
    except sig.SignatureError as error:
        raise ValueError(f"stage {stage}'s signature {error}") from None
    if not path.is_file():
        raise ValueError(f"stage {stage} has no baseline of its model ({path} not found): {how}")
    try:
        return drift.bound_baseline(drift.read_baseline(path), signature), signature
    except drift.BaselineError as error:
        raise ValueError(f"stage {stage}'s baseline: {error}: {how}") from None


def capture_destination(sagemaker: Any, endpoint: str) -> tuple[str, str] | None:
    """The bucket and key the endpoint's config captures under, when it captures."""
    config_name = sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
    config = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
    capture = config.get("DataCaptureConfig") or {}
    if not capture.get("EnableCapture", True) or "DestinationS3Uri" not in capture:
        return None
    match = _DESTINATION.fullmatch(capture["DestinationS3Uri"])
    return (match.group(1), match.group(2)) if match else None
