"""Tear down an endpoint made by scripts.deploy_endpoint: autoscaling, endpoint, alarms, configs,
models; and keep only the last few configs of a live endpoint.

Only resources tagged project=sagemaker-proxy are touched, and only those made for this endpoint:
tagged with its name, or (made before that tag) named exactly as deploy names them for it, never
by a prefix ("iris" is not "iris-sre"). A delete acts on what it observed, holds the endpoint's
lock so that no deploy runs meanwhile, and looks again before each step: an endpoint that is live
(a deploy made it after all) keeps its alarms, configs and models, and the delete says so and
fails. A second run finds nothing and does nothing.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from provisioning.aws import ENDPOINT_TAG_KEY, AwsClients, is_missing, is_ours
from provisioning.endpoint.alarms import delete_endpoint_alarms
from provisioning.iam_documents import ROLE_POLICY_NAME, execution_role_policy, with_grants
from provisioning.interrupts import Interrupted, interruptible
from provisioning.naming import VARIANT_NAME, Names, project_bucket, stem
from provisioning.plan import Deployment, exists
from provisioning.run_lock import EndpointLock, LockHeld, holding


def _tags(aws: AwsClients, arn: str) -> list[dict[str, str]]:
    return list(aws.sagemaker.list_tags(ResourceArn=arn).get("Tags", []))


def _tagged_ours(aws: AwsClients, arn: str) -> bool:
    return is_ours(_tags(aws, arn))


def _made_for(endpoint_name: str, name: str, tags: list[dict[str, str]]) -> bool:
    """Whether a config (or model) of ``name`` and ``tags`` was made for this endpoint."""
    if not is_ours(tags):
        return False
    tagged = {tag["Key"]: tag["Value"] for tag in tags}.get(ENDPOINT_TAG_KEY)
    if tagged is not None:
        return tagged == endpoint_name
    # Made before the endpoint tag: the name deploy gives, exactly (provisioning.naming).
    return (
        re.fullmatch(rf"{re.escape(stem(endpoint_name))}-[0-9a-f]{{12}}-[0-9a-f]{{4,6}}", name)
        is not None
    )


def our_endpoint_configs(aws: AwsClients, endpoint_name: str) -> list[dict[str, Any]]:
    """Configs this project made for the endpoint, newest first."""
    configs = []
    paginator = aws.sagemaker.get_paginator("list_endpoint_configs")
    for page in paginator.paginate(NameContains=stem(endpoint_name)):
        for summary in page["EndpointConfigs"]:
            name = summary["EndpointConfigName"]
            if _made_for(endpoint_name, name, _tags(aws, summary["EndpointConfigArn"])):
                configs.append(aws.sagemaker.describe_endpoint_config(EndpointConfigName=name))
    return sorted(configs, key=lambda config: config["CreationTime"], reverse=True)


class EndpointIsLive(Exception):
    """The endpoint exists after all (a deploy made it while the delete ran)."""


# How long a delete's lock lasts beyond its longest wait.
LOCK_MARGIN_MINUTES = 10


def delete(
    aws: AwsClients,
    endpoint_name: str,
    keep_model: bool,
    dry_run: bool,
    out: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
    wait_minutes: int = 30,
    bucket: str | None = None,
    break_lock: bool = False,
) -> int:
    """Exit code: 0 when nothing of the endpoint's is left (or the plan is printed); 1 when
    something stopped it (a live endpoint, another run, AWS); 128 + the signal when one did."""
    out(f"{'plan' if dry_run else 'delete'}: {endpoint_name} in {aws.region}")
    step = "endpoint"
    try:
        with interruptible():
            account = str(aws.sts.get_caller_identity()["Account"])
            lock_bucket = bucket or project_bucket(account, aws.region)
            if dry_run or not exists(lambda: aws.s3.head_bucket(Bucket=lock_bucket)):
                # No bucket, no deploy under way to lock out (a deploy makes it first); what a
                # deploy makes meanwhile is caught by looking again before each step.
                return _delete(aws, endpoint_name, keep_model, dry_run, out, wait_minutes)
            step = "lock"
            lock = EndpointLock(
                aws.s3,
                lock_bucket,
                endpoint_name,
                "delete_endpoint",
                wait_minutes + LOCK_MARGIN_MINUTES,
            )
            with holding(lock, break_lock, out):
                return _delete(aws, endpoint_name, keep_model, dry_run, out, wait_minutes)
    except Interrupted as signal:
        out(
            f"INTERRUPTED ({signal.name}) at {step}: what is deleted is gone, the rest is "
            "there; the same command deletes the rest"
        )
        return signal.exit_code
    except LockHeld as held:
        out(f"FAILED: {held}")
        return 1
    except EndpointIsLive as live:
        out(f"FAILED: {live}")
        return 1


def _delete(
    aws: AwsClients,
    endpoint_name: str,
    keep_model: bool,
    dry_run: bool,
    out: Callable[[str], None],
    wait_minutes: int,
) -> int:
    sm = aws.sagemaker

    def act(what: str, call: Callable[[], Any]) -> None:
        if dry_run:
            out(f"  delete   {what}  (dry run)")
        else:
            call()
            out(f"  deleted  {what}")

    def still_gone() -> None:
        """Look again: act only on what was seen, and never over a live endpoint."""
        if dry_run:
            return
        if _described(sm, endpoint_name) is not None:
            raise EndpointIsLive(
                f"endpoint {endpoint_name} is live (a deploy made it while this delete ran): "
                "its alarms, configs and models are kept; run the delete again to remove it"
            )

    endpoint = _described(sm, endpoint_name)
    if endpoint is not None:
        if not _tagged_ours(aws, endpoint["EndpointArn"]):
            out(
                f"{endpoint_name} was not made by this project (no project=sagemaker-proxy tag): not touching it"
            )
            return 1
        resource = f"endpoint/{endpoint_name}/variant/{VARIANT_NAME}"
        targets = aws.autoscaling.describe_scalable_targets(
            ServiceNamespace="sagemaker", ResourceIds=[resource]
        )
        for target in targets.get("ScalableTargets", []):
            act(
                f"autoscaling of {resource}",
                partial(
                    aws.autoscaling.deregister_scalable_target,
                    ServiceNamespace="sagemaker",
                    ResourceId=resource,
                    ScalableDimension=target["ScalableDimension"],
                ),
            )
        act(f"endpoint {endpoint_name}", lambda: sm.delete_endpoint(EndpointName=endpoint_name))
        if not dry_run:
            out(f"  waiting  until {endpoint_name} is gone")
            sm.get_waiter("endpoint_deleted").wait(
                EndpointName=endpoint_name,
                WaiterConfig={"Delay": 15, "MaxAttempts": wait_minutes * 4},
            )
    else:
        out(f"  absent   endpoint {endpoint_name}")
    still_gone()
    delete_endpoint_alarms(aws, endpoint_name, dry_run, out)
    for config in our_endpoint_configs(aws, endpoint_name):
        still_gone()
        remove_config(aws, endpoint_name, config, keep_model, act)
    still_gone()
    return 0


def _described(sm: Any, endpoint_name: str) -> dict[str, Any] | None:
    try:
        return dict(sm.describe_endpoint(EndpointName=endpoint_name))
    except ClientError as error:
        if not is_missing(error):
            raise
        return None


def remove_config(
    aws: AwsClients,
    endpoint_name: str,
    config: dict[str, Any],
    keep_model: bool,
    act: Callable[[str, Callable[[], Any]], None],
    spare_models: frozenset[str] = frozenset(),
) -> None:
    """Delete a config and (unless kept, or spared for a config that stays) its models."""
    sm = aws.sagemaker
    act(
        f"endpoint config {config['EndpointConfigName']}",
        partial(sm.delete_endpoint_config, EndpointConfigName=config["EndpointConfigName"]),
    )
    if keep_model:
        return
    for variant in config["ProductionVariants"]:
        name = variant["ModelName"]
        if name in spare_models:
            continue
        try:
            model = sm.describe_model(ModelName=name)
        except ClientError as error:
            if is_missing(error):
                continue
            raise
        if _made_for(endpoint_name, name, _tags(aws, model["ModelArn"])):
            act(f"model {name}", partial(sm.delete_model, ModelName=name))


def prune_old_configs(
    run: Deployment, names: Names, keep: int, role_owned: bool, region: str, account: str
) -> None:
    """After a deploy that serves: remove the endpoint's configs older than the ``keep`` newest
    besides the one it serves, and their models (those no remaining config uses); and, on the
    role this project made (``role_owned``), the grants only they used. They were kept to go
    back to; more than a few only clutter the console and widen the role."""
    configs = [
        config
        for config in our_endpoint_configs(run.aws, names.endpoint)
        if config["EndpointConfigName"] != names.endpoint_config
    ]
    kept, old = configs[:keep], configs[keep:]
    if not old:
        return
    models_in_use = frozenset(
        variant["ModelName"] for config in kept for variant in config["ProductionVariants"]
    ) | {names.model}
    run.out(
        f"  keeping  the {len(kept)} configs before this one: "
        + (", ".join(config["EndpointConfigName"] for config in kept) or "none")
    )

    def act(what: str, call: Callable[[], Any]) -> None:
        call()
        run.out(f"  removed  old {what}")

    for config in old:
        remove_config(run.aws, names.endpoint, config, False, act, models_in_use)
    if role_owned:
        narrow_role(run, names, region, account)


def narrow_role(run: Deployment, names: Names, region: str, account: str) -> None:
    """The execution role's grants, down to what the endpoint's remaining configs use."""
    sm, iam = run.aws.sagemaker, run.aws.iam
    wanted: dict[str, Any] | None = None
    for config in our_endpoint_configs(run.aws, names.endpoint):
        capture = bool(config.get("DataCaptureConfig", {}).get("EnableCapture"))
        for variant in config["ProductionVariants"]:
            container = sm.describe_model(ModelName=variant["ModelName"])["PrimaryContainer"]
            bucket, _, key = container["ModelDataUrl"].removeprefix("s3://").partition("/")
            used = replace(names, bucket=bucket, key=key)
            policy = execution_role_policy(used, region, account, container["Image"], capture)
            wanted = with_grants(wanted, policy)
    current = iam.get_role_policy(RoleName=names.role, PolicyName=ROLE_POLICY_NAME)
    document = current["PolicyDocument"]
    document = json.loads(document) if isinstance(document, str) else document
    if wanted is None or document == wanted:
        return
    iam.put_role_policy(
        RoleName=names.role, PolicyName=ROLE_POLICY_NAME, PolicyDocument=json.dumps(wanted)
    )
    dropped = len(document["Statement"]) - len(wanted["Statement"])
    run.out(
        f"  narrowed {ROLE_POLICY_NAME} of {names.role}: {dropped} grants only removed configs used"
    )
