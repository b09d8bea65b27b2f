"""Tear down an endpoint made by scripts.deploy_endpoint: autoscaling, endpoint, configs, models.

Only resources tagged project=sagemaker-proxy are touched, found by the names deploy gives
them (provisioning.naming). A second run finds nothing and does nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from provisioning.aws import AwsClients, is_missing, is_ours
from provisioning.endpoint.alarms import delete_endpoint_alarms
from provisioning.naming import VARIANT_NAME, stem


def _tagged_ours(aws: AwsClients, arn: str) -> bool:
    return is_ours(aws.sagemaker.list_tags(ResourceArn=arn).get("Tags", []))


def our_endpoint_configs(aws: AwsClients, endpoint_name: str) -> list[dict[str, Any]]:
    """Configs this project made for the endpoint (their names start with the endpoint's)."""
    configs = []
    paginator = aws.sagemaker.get_paginator("list_endpoint_configs")
    for page in paginator.paginate(NameContains=stem(endpoint_name)):
        for summary in page["EndpointConfigs"]:
            if summary["EndpointConfigName"].startswith(stem(endpoint_name) + "-") and _tagged_ours(
                aws, summary["EndpointConfigArn"]
            ):
                configs.append(
                    aws.sagemaker.describe_endpoint_config(
                        EndpointConfigName=summary["EndpointConfigName"]
                    )
                )
    return configs


def delete(
    aws: AwsClients,
    endpoint_name: str,
    keep_model: bool,
    dry_run: bool,
    out: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
    wait_minutes: int = 30,
) -> int:
    sm = aws.sagemaker

    def act(what: str, call: Callable[[], Any]) -> None:
        if dry_run:
            out(f"  delete   {what}  (dry run)")
        else:
            call()
            out(f"  deleted  {what}")

    out(f"{'plan' if dry_run else 'delete'}: {endpoint_name} in {aws.region}")
    try:
        endpoint = sm.describe_endpoint(EndpointName=endpoint_name)
    except ClientError as error:
        if not is_missing(error):
            raise
        endpoint = None
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
    delete_endpoint_alarms(aws, endpoint_name, dry_run, out)
    for config in our_endpoint_configs(aws, endpoint_name):
        act(
            f"endpoint config {config['EndpointConfigName']}",
            partial(sm.delete_endpoint_config, EndpointConfigName=config["EndpointConfigName"]),
        )
        if keep_model:
            continue
        for variant in config["ProductionVariants"]:
            try:
                model = sm.describe_model(ModelName=variant["ModelName"])
            except ClientError as error:
                if is_missing(error):
                    continue
                raise
            if _tagged_ours(aws, model["ModelArn"]):
                act(
                    f"model {variant['ModelName']}",
                    partial(sm.delete_model, ModelName=variant["ModelName"]),
                )
    return 0
