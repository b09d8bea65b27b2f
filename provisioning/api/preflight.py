"""What `make deploy` checks before it creates anything: one region and one account end to end,
an endpoint that serves, and room in the account for the stage's reserved concurrency."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from foundation.lambda_code import batch_triggers, drift_schedule, settings
from foundation.lambda_code import signature as sig
from provisioning import drift_stage, stage_config
from provisioning.aws import ARTIFACT_TAG_KEY, AwsClients, is_missing
from provisioning.iam_documents import endpoint_arn

# Lambda keeps at least this much of an account's concurrency unreserved ("decreases account's
# UnreservedConcurrentExecution below its minimum value of [10]"; Lambda Developer Guide,
# "Configuring reserved concurrency").
LAMBDA_MINIMUM_UNRESERVED = 10


BATCH_FUNCTIONS = (batch_triggers.ARRIVAL_FUNCTION, batch_triggers.SCHEDULE_FUNCTION)


class PreflightFailed(Exception):
    """One line: what is wrong, and what to do."""


@dataclass(frozen=True)
class StageTarget:
    """The endpoint a stage's Lambda calls, as its config.json records it."""

    stage: str
    endpoint_name: str
    region: str | None
    policy: dict[str, Any]
    # The signature the stage's Lambda validates by (MODEL_SIGNATURE, in chalicelib/signatures/).
    signature_path: Path | None = None
    # The stage's batch functions (scripts.batch_triggers) by name, with their policy.
    batch_functions: tuple[str, ...] = ()
    batch_policy: dict[str, Any] | None = None
    # The stage's drift function (scripts.drift_schedule): its variables and policy.
    drift_variables: dict[str, str] | None = None
    drift_policy: dict[str, Any] | None = None
    config_dir: Path | None = None

    @classmethod
    def load(cls, stage: str, config_dir: Path) -> StageTarget:
        config = json.loads((config_dir / "config.json").read_text())
        ours = config.get("stages", {}).get(stage, {})
        variables = {
            **config.get("environment_variables", {}),
            **ours.get("environment_variables", {}),
        }
        policy_file = config_dir / ours.get("iam_policy_file", f"policy-{stage}.json")
        signature = variables.get(stage_config.SIGNATURE_VARIABLE) or settings.DEFAULT_SIGNATURE
        functions = ours.get("lambda_functions", {})
        batch = {name: f for name, f in functions.items() if name in BATCH_FUNCTIONS}
        batch_files = {f.get("iam_policy_file") for f in batch.values()} - {None}
        batch_policy = _policy(config_dir, sorted(batch_files)[0]) if batch_files else None
        drift_function = functions.get(drift_schedule.FUNCTION)
        drift_policy = drift_variables = None
        if drift_function is not None:
            drift_policy = _policy(config_dir, drift_function.get("iam_policy_file"))
            drift_variables = {
                name: value for name, value in variables.items() if name.startswith("DRIFT_")
            }
        return cls(
            stage=stage,
            endpoint_name=variables.get(stage_config.ENDPOINT_VARIABLE, ""),
            region=variables.get(stage_config.REGION_VARIABLE) or None,
            policy=json.loads(policy_file.read_text()) if policy_file.is_file() else {},
            signature_path=config_dir.parent / "chalicelib" / "signatures" / signature,
            batch_functions=tuple(sorted(batch)),
            batch_policy=batch_policy,
            drift_variables=drift_variables,
            drift_policy=drift_policy,
            config_dir=config_dir,
        )


def check_region(target: StageTarget, region: str) -> None:
    if target.region is None:
        raise PreflightFailed(
            f"stage {target.stage} records no endpoint region ({stage_config.REGION_VARIABLE}): "
            f"run `python -m scripts.deploy_endpoint --stage {target.stage} ...` first"
        )
    if target.region != region:
        raise PreflightFailed(
            f"stage {target.stage}'s endpoint is in {target.region}, not {region}: "
            f"make deploy STAGE={target.stage} REGION={target.region}"
        )


def check_policy(target: StageTarget, region: str, account: str) -> None:
    """The stage's policy names exactly this endpoint, in this account and region."""
    wanted = endpoint_arn(region, account, target.endpoint_name)
    resources = [
        resource
        for statement in target.policy.get("Statement", [])
        if any(str(action).startswith("sagemaker:") for action in _listed(statement["Action"]))
        for resource in _listed(statement.get("Resource", []))
    ]
    if resources != [wanted]:
        raise PreflightFailed(
            f"policy-{target.stage}.json grants SageMaker on {', '.join(resources) or 'nothing'}, "
            f"not {wanted}: rerun `python -m scripts.deploy_endpoint --stage {target.stage}` "
            "in this account and region"
        )


def check_batch_policy(target: StageTarget, region: str, account: str) -> None:
    """The stage's batch functions look for the model of this endpoint, in this account and
    region (scripts.batch_triggers wrote their policy for the endpoint the stage had then)."""
    if target.batch_policy is None:
        return
    wanted = endpoint_arn(region, account, target.endpoint_name)
    found = [
        statement.get("Resource")
        for statement in target.batch_policy.get("Statement", [])
        if statement.get("Sid") == "FindTheServedModel"
    ]
    if found != [wanted]:
        raise PreflightFailed(
            f"the batch functions' policy of stage {target.stage} is not for {wanted}: rerun "
            f"`python -m scripts.batch_triggers --stage {target.stage} ...` (or --off)"
        )


def check_drift(target: StageTarget, region: str, account: str) -> None:
    """The stage's drift function reads this endpoint's capture, in this account and region, on a
    schedule EventBridge takes, with the baseline of the model the stage validates by."""
    if target.drift_variables is None or target.config_dir is None:
        return
    again = f"rerun `python -m scripts.drift_schedule --stage {target.stage} ...` (or --off)"
    from chalicelib.drift_watch import run as drift_watch

    try:
        drift_schedule.interval_seconds(target.drift_variables.get(drift_schedule.SCHEDULE, ""))
        drift_watch.thresholds_from(target.drift_variables)
        drift_stage.stage_baseline(target.config_dir, target.stage)
    except ValueError as error:
        raise PreflightFailed(f"the drift function of stage {target.stage}: {error}") from None
    bucket = target.drift_variables.get(drift_schedule.BUCKET, "")
    wanted = drift_stage.drift_policy(region, account, target.stage, target.endpoint_name, bucket)
    if target.drift_policy != wanted:
        raise PreflightFailed(
            f"the drift function's policy of stage {target.stage} is not for the capture of "
            f"{target.endpoint_name} in {region} and account {account}: {again}"
        )


def check_endpoint_serves(sagemaker: Any, target: StageTarget) -> None:
    try:
        status = sagemaker.describe_endpoint(EndpointName=target.endpoint_name)["EndpointStatus"]
    except ClientError as error:
        if is_missing(error):
            raise PreflightFailed(
                f"endpoint {target.endpoint_name} does not exist in this region: "
                "deploy it with scripts.deploy_endpoint first"
            ) from None
        raise
    if status != "InService":
        raise PreflightFailed(
            f"endpoint {target.endpoint_name} is {status}, not InService: "
            "wait for it, or fix it with scripts.deploy_endpoint"
        )


def served_artifact(sagemaker: Any, endpoint_name: str) -> str | None:
    """The sha256 of the artifact the endpoint's model was made from (deploy_endpoint tags the
    model with it), or None when the model says nothing."""
    endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    shas = set()
    for variant in config["ProductionVariants"]:
        model = sagemaker.describe_model(ModelName=variant["ModelName"])
        tags = sagemaker.list_tags(ResourceArn=model["ModelArn"]).get("Tags", [])
        shas |= {tag["Value"] for tag in tags if tag["Key"] == ARTIFACT_TAG_KEY}
    return shas.pop() if len(shas) == 1 else None


def check_signature(sagemaker: Any, target: StageTarget) -> None:
    """The stage validates by the signature of the model its endpoint serves: another one
    would answer 200 with another model's labels, or refuse good records."""
    assert target.signature_path is not None
    redeploy = f"rerun `python -m scripts.deploy_endpoint --stage {target.stage} ...`"
    try:
        signature = sig.read_signature(target.signature_path)
    except sig.SignatureError as error:
        raise PreflightFailed(f"stage {target.stage}'s signature {error}: {redeploy}") from None
    served = served_artifact(sagemaker, target.endpoint_name)
    if served is None:
        raise PreflightFailed(
            f"cannot tell which artifact endpoint {target.endpoint_name} serves (its model has "
            f"no {ARTIFACT_TAG_KEY} tag): deploy it with scripts.deploy_endpoint"
        )
    if served != signature.artifact_sha256:
        raise PreflightFailed(
            f"stage {target.stage} validates by the signature of artifact "
            f"{signature.artifact_sha256[:12]}..., but endpoint {target.endpoint_name} serves "
            f"{served[:12]}...: {redeploy} with the artifact it should serve"
        )


def check_concurrency(lambda_client: Any, reserved: int) -> None:
    """A reservation that would leave the account under Lambda's minimum fails the whole stack;
    new accounts often have a quota of 10, where any reservation does."""
    limits = lambda_client.get_account_settings()["AccountLimit"]
    unreserved = int(limits["UnreservedConcurrentExecutions"])
    if unreserved - reserved < LAMBDA_MINIMUM_UNRESERVED:
        raise PreflightFailed(
            f"the account has {unreserved} unreserved concurrent executions (of "
            f"{limits['ConcurrentExecutions']}); reserving {reserved} would leave fewer than "
            f"Lambda's minimum of {LAMBDA_MINIMUM_UNRESERVED}: lower reserved_concurrency in "
            "config.json or ask AWS for a higher Lambda concurrency quota"
        )


def preflight(aws: AwsClients, target: StageTarget, reserved_concurrency: int) -> str:
    """Every check that needs AWS but changes nothing; returns the account."""
    check_region(target, aws.region)
    account = str(aws.sts.get_caller_identity()["Account"])
    check_policy(target, aws.region, account)
    check_batch_policy(target, aws.region, account)
    check_drift(target, aws.region, account)
    check_endpoint_serves(aws.sagemaker, target)
    check_signature(aws.sagemaker, target)
    # Each batch function reserves one (batch/stage.py), and so does the drift one.
    extra = len(target.batch_functions) + (target.drift_variables is not None)
    check_concurrency(aws.lambda_, reserved_concurrency + extra)
    return account


def _policy(config_dir: Path, name: str | None) -> dict[str, Any]:
    path = config_dir / str(name)
    return json.loads(path.read_text()) if name and path.is_file() else {}


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
