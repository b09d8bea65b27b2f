"""A stage's batch functions, switched on or off: its variables (chalicelib/batch/triggers.py),
the functions' own policy file, the model role's grants for the jobs, and the input bucket's
events sent to EventBridge (for the function that scores on arrival)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from batch.transform_run import add_batch_grants, batch_grants_document
from foundation.lambda_code import batch_jobs
from foundation.lambda_code import batch_triggers as triggers
from provisioning.aws import AwsClients
from provisioning.iam_documents import batch_function_policy
from provisioning.stage_config import StageFiles
from provisioning.stage_functions import write_stage_functions

# One at a time: two starts at once could each send the same new object.
FUNCTIONS = {
    name: {"reserved_concurrency": 1}
    for name in (triggers.ARRIVAL_FUNCTION, triggers.SCHEDULE_FUNCTION)
}


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
    return write_stage_functions(
        files,
        stage_name,
        triggers.VARIABLES,
        FUNCTIONS,
        policy_file_name(stage_name),
        wanted.variables() if wanted is not None else None,
        policy,
    )


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
