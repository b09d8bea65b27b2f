"""Tear down an endpoint made by scripts.deploy_endpoint: autoscaling, endpoint, configs, models.

Only resources tagged project=sagemaker-proxy are touched. A second run finds nothing and
does nothing. The S3 artifact, the bucket and the execution role are kept: they cost
nothing at rest and make a redeploy quick.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from scripts import checks
from scripts.aws import VARIANT_NAME, AwsClients, is_missing, is_ours
from scripts.checks import AWS_ERRORS


def _tagged_ours(aws: AwsClients, arn: str) -> bool:
    return is_ours(aws.sagemaker.list_tags(ResourceArn=arn).get("Tags", []))


def our_endpoint_configs(aws: AwsClients, endpoint_name: str) -> list[dict[str, Any]]:
    """Configs this project made for the endpoint (their names start with the endpoint's)."""
    configs = []
    paginator = aws.sagemaker.get_paginator("list_endpoint_configs")
    for page in paginator.paginate(NameContains=endpoint_name[:42]):
        for summary in page["EndpointConfigs"]:
            if summary["EndpointConfigName"].startswith(endpoint_name[:42] + "-") and _tagged_ours(
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.delete_endpoint", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--endpoint-name", required=True, help="the endpoint to delete")
    parser.add_argument(
        "--region", help="AWS region (default: AWS_REGION / AWS_DEFAULT_REGION / profile)"
    )
    parser.add_argument(
        "--keep-model",
        action="store_true",
        help="keep the SageMaker models (delete endpoint and configs only)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print what would be deleted; delete nothing"
    )
    parser.add_argument(
        "--wait-minutes",
        type=int,
        default=30,
        help="longest wait for the endpoint to go (default: 30)",
    )
    args = parser.parse_args(argv)
    problem = checks.sagemaker_name(args.endpoint_name, "--endpoint-name") or checks.positive(
        args.wait_minutes, "--wait-minutes"
    )
    if problem:
        parser.error(problem)  # exits 2, before any AWS call
    try:
        aws = AwsClients.create(args.region)
        return delete(
            aws, args.endpoint_name, args.keep_model, args.dry_run, wait_minutes=args.wait_minutes
        )
    except AWS_ERRORS as error:
        print(f"FAILED: {checks.one_line(error)}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
