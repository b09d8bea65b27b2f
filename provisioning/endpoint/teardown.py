"""Tear down an endpoint made by scripts.deploy_endpoint: autoscaling, endpoint, alarms, configs,
models.

Only resources tagged project=sagemaker-proxy are touched, and only those made for this endpoint:
tagged with its name, or (made before that tag) named exactly as deploy names them for it, never
by a prefix ("iris" is not "iris-sre"). Models are found by their tags too, not only through
configs: a run killed between DeleteEndpointConfig and DeleteModel, or a deploy killed right after
CreateModel, leaves a model no config names. A delete acts on what it observed, holds the
endpoint's lock so that no deploy runs meanwhile, and looks again before each step: an endpoint
that is live (a deploy made it after all) keeps its alarms, configs and models, and the delete
says so and fails. A second run finds nothing and does nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from foundation.interrupts import Interrupted, interruptible
from provisioning import checks
from provisioning.aws import AwsClients, is_missing
from provisioning.checks import AWS_ERRORS
from provisioning.endpoint.alarms import delete_endpoint_alarms
from provisioning.endpoint.ours import (
    delete_model,
    our_endpoint_configs,
    our_models,
    remove_config,
    tagged_ours,
)
from provisioning.naming import VARIANT_NAME, project_bucket
from provisioning.plan import exists
from provisioning.run_lock import EndpointLock, LockHeld, holding


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
    step = "endpoint"
    try:
        with interruptible():
            out(f"{'plan' if dry_run else 'delete'}: {endpoint_name} in {aws.region}")
            account = str(aws.sts.get_caller_identity()["Account"])
            lock_bucket = bucket or project_bucket(account, aws.region)
            run = partial(_delete, aws, endpoint_name, keep_model, dry_run, out, wait_minutes)
            if dry_run or not exists(lambda: aws.s3.head_bucket(Bucket=lock_bucket)):
                # No bucket, no deploy under way to lock out (a deploy makes it first); what a
                # deploy makes meanwhile is caught by looking again before each step.
                return _reported(run, out)
            step = "lock"
            lock = EndpointLock(
                aws.s3,
                lock_bucket,
                endpoint_name,
                "delete_endpoint",
                wait_minutes + LOCK_MARGIN_MINUTES,
            )
            with holding(lock, break_lock, out):
                step = "endpoint"
                return _reported(run, out)
    except Interrupted as signal:
        return _interrupted(signal, step, out)
    except LockHeld as held:
        out(f"FAILED: {held}")
        return 1
    except AWS_ERRORS as error:  # the account, the bucket or the lock: nothing deleted yet
        out(f"FAILED: {checks.one_line(error)}")
        return 1


def _reported(run: Callable[[], int], out: Callable[[str], None]) -> int:
    """``run``'s exit code, a failure or a signal said in one line, inside the lock (so that
    the line comes before anything said about giving the lock back)."""
    try:
        return run()
    except Interrupted as signal:
        return _interrupted(signal, "endpoint", out)
    except EndpointIsLive as live:
        out(f"FAILED: {live}")
        return 1
    except AWS_ERRORS as error:
        out(f"FAILED: {checks.one_line(error)}")
        return 1


def _interrupted(signal: Interrupted, step: str, out: Callable[[str], None]) -> int:
    out(
        f"INTERRUPTED ({signal.name}) at {step}: what is deleted is gone, the rest is "
        "there; the same command deletes the rest"
    )
    return signal.exit_code


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
    # What a model is made for cannot change: observed now, deleted last (unless a config took it).
    models = [] if keep_model else our_models(aws, endpoint_name)
    if endpoint is not None:
        if not tagged_ours(aws, endpoint["EndpointArn"]):
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
    configs = our_endpoint_configs(aws, endpoint_name)
    for config in configs:
        still_gone()
        remove_config(aws, endpoint_name, config, keep_model, act)
    named = {variant["ModelName"] for config in configs for variant in config["ProductionVariants"]}
    for name in models:
        if name not in named:  # no config names it: a run stopped between its steps left it
            still_gone()
            act(f"model {name} (no config uses it)", partial(delete_model, sm, name))
    still_gone()
    return 0


def _described(sm: Any, endpoint_name: str) -> dict[str, Any] | None:
    try:
        return dict(sm.describe_endpoint(EndpointName=endpoint_name))
    except ClientError as error:
        if not is_missing(error):
            raise
        return None
