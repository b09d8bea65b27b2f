"""A stage's batch functions, switched on or off: its variables (chalicelib/batch_triggers.py),
the functions' own policy file, the model role's grants for the jobs, and the input bucket's
events sent to EventBridge (for the function that scores on arrival)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batch.transform_run import add_batch_grants, batch_grants_document
from foundation.files import update_json
from foundation.lambda_code import batch_jobs
from foundation.lambda_code import batch_triggers as triggers
from provisioning.aws import AwsClients
from provisioning.iam_documents import batch_function_policy
from provisioning.stage_config import StageFiles


@dataclass(frozen=True)
class BatchStage:
    stage: str
    source: batch_jobs.S3Location
    output: batch_jobs.S3Location
    on_arrival: bool
    schedule: str | None
    id_columns: int
    spec: batch_jobs.JobSpec

    def variables(self) -> dict[str, str]:
        found = {
            triggers.INPUT: self.source.url,
            triggers.OUTPUT: self.output.url,
            triggers.ON_ARRIVAL: "true" if self.on_arrival else "",
            triggers.SCHEDULE: self.schedule or "",
            triggers.ID_COLUMNS: str(self.id_columns),
            triggers.INSTANCE_TYPE: self.spec.instance_type,
            triggers.INSTANCE_COUNT: str(self.spec.instance_count),
            triggers.KMS_KEY: self.spec.kms_key or "",
        }
        return {name: value for name, value in found.items() if value}


def policy_file_name(stage: str) -> str:
    return f"policy-{stage}-batch.json"


def write_stage(
    files: StageFiles, stage_name: str, wanted: BatchStage | None, policy: dict[str, Any] | None
) -> list[Path]:
    """The stage's variables and functions' policy as ``wanted`` says (None: switched off);
    each file atomically, in its own formatting."""
    config = json.loads(files.config_text)
    stage = config.setdefault("stages", {}).setdefault(stage_name, {})
    variables = stage.setdefault("environment_variables", {})
    for name in triggers.VARIABLES:
        variables.pop(name, None)
    functions = stage.setdefault("lambda_functions", {})
    policy_path = files.config_path.with_name(policy_file_name(stage_name))
    for function in (triggers.ARRIVAL_FUNCTION, triggers.SCHEDULE_FUNCTION):
        functions.pop(function, None)
    written = []
    if wanted is not None and policy is not None:
        variables.update(wanted.variables())
        for function in (triggers.ARRIVAL_FUNCTION, triggers.SCHEDULE_FUNCTION):
            # One at a time: two starts at once could each send the same new object.
            functions[function] = {"iam_policy_file": policy_path.name, "reserved_concurrency": 1}
        original = policy_path.read_text() if policy_path.is_file() else None
        if update_json(policy_path, policy, original):
            written.append(policy_path)
    elif policy_path.is_file():
        policy_path.unlink()
        written.append(policy_path)
    if not functions:
        stage.pop("lambda_functions")
    if update_json(files.config_path, config, files.config_text):
        written.append(files.config_path)
    return written


def grant_model_role(aws: AwsClients, endpoint: str, wanted: BatchStage, account: str) -> str:
    """The role of the model the endpoint serves (deploy_endpoint's, or the one --role-arn named)
    may read the input and the manifests and write the output."""
    role = batch_jobs.served_model(aws.sagemaker, endpoint)["ExecutionRoleArn"].rsplit("/", 1)[-1]
    document = batch_grants_document(
        wanted.source, wanted.output, aws.region, account, wanted.spec.kms_key, manifests=True
    )
    add_batch_grants(aws.iam, role, document)
    return role


def send_events_to_eventbridge(s3: Any, bucket: str) -> bool:
    """Turn on the bucket's EventBridge notifications, keeping its other notifications; True
    when it changed."""
    current = s3.get_bucket_notification_configuration(Bucket=bucket)
    current.pop("ResponseMetadata", None)
    if "EventBridgeConfiguration" in current:
        return False
    current["EventBridgeConfiguration"] = {}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=current)
    return True


def functions_policy(
    region: str, account: str, endpoint: str, wanted: BatchStage
) -> dict[str, Any]:
    return batch_function_policy(
        region, account, endpoint, wanted.stage, wanted.source.url, wanted.output.url,
        wanted.spec.kms_key,
    )  # fmt: skip
