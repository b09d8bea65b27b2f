"""The endpoint itself: create it or update it blue/green, wait until it settles, check it
serves the new config, smoke-test it as the proxy will read it, and scale it."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from foundation.lambda_code import answers, predictor, validation
from foundation.lambda_code import signature as sig
from provisioning.aws import TRANSITIONAL_STATUSES, is_missing, is_ours
from provisioning.naming import VARIANT_NAME, Names, Variant
from provisioning.plan import Deployment, StepFailed

# How far the endpoint's score may be from the one the model gave here: the same XGBoost gives the
# same float32 bits; this leaves room for another CPU's rounding, not for another model.
SCORE_TOLERANCE = 1e-5


def ensure_endpoint(
    run: Deployment,
    names: Names,
    variant: Variant,
    tags: list[dict[str, str]],
    wait_minutes: int,
    deployment_config: dict[str, Any] | None = None,
) -> bool:
    """Create the endpoint, or update it to the new config. True when anything changed."""
    sm = run.aws.sagemaker
    try:
        current = sm.describe_endpoint(EndpointName=names.endpoint)
    except ClientError as error:
        if not is_missing(error):
            raise
        current = None
    if current is None:
        return run.ensure(
            f"endpoint {names.endpoint}",
            lambda: False,
            lambda: sm.create_endpoint(
                EndpointName=names.endpoint, EndpointConfigName=names.endpoint_config, Tags=tags
            ),
            lambda: sm.delete_endpoint(EndpointName=names.endpoint),
        )
    if current["EndpointConfigName"] == names.endpoint_config:
        run.out(
            f"  exists   endpoint {names.endpoint} on {names.endpoint_config} ({current['EndpointStatus']})"
        )
        return False
    if not is_ours(sm.list_tags(ResourceArn=current["EndpointArn"]).get("Tags", [])):
        raise StepFailed(
            "endpoint", f"{names.endpoint} exists and was not made by this project; not touching it"
        )
    if current["EndpointStatus"] in TRANSITIONAL_STATUSES:
        raise StepFailed(
            "endpoint",
            f"{names.endpoint} is {current['EndpointStatus']}; try again when it settles",
        )
    if run.dry_run:
        run.out(
            f"  update   endpoint {names.endpoint}: {current['EndpointConfigName']} -> {names.endpoint_config}  (dry run)"
        )
        return True
    request: dict[str, Any] = {
        "EndpointName": names.endpoint,
        "EndpointConfigName": names.endpoint_config,
    }
    how = "in place"
    if not variant.serverless and deployment_config:  # blue/green is for instance endpoints
        request["DeploymentConfig"] = deployment_config
        how = "blue/green"
    sm.update_endpoint(**request)
    run.out(
        f"  updated  endpoint {names.endpoint}: {current['EndpointConfigName']} -> {names.endpoint_config} ({how})"
    )
    return True


def wait_until_settled(
    run: Deployment, names: Names, wait_minutes: int, poll_seconds: float = 15.0
) -> dict[str, Any]:
    """Poll DescribeEndpoint with a progress line (boto3's waiter shows none), up to a bound.
    During a blue/green update the line names the phase: the new fleet being created, traffic
    shifting to it (with its share) or baking, and rolling back."""
    started = run.clock()
    deadline = started + wait_minutes * 60
    while True:
        endpoint = run.aws.sagemaker.describe_endpoint(EndpointName=names.endpoint)
        status = endpoint["EndpointStatus"]
        run.out(
            f"  waiting  {names.endpoint}: {phase(endpoint)} after {run.clock() - started:.0f} s"
        )
        if status not in TRANSITIONAL_STATUSES:
            return dict(endpoint)
        if run.clock() >= deadline:
            raise StepFailed("wait", f"still {status} after {wait_minutes} min")
        run.sleep(poll_seconds)


# PendingDeploymentSummary's VariantStatus values (botocore's sagemaker model), in words.
PHASES = {
    "Creating": "creating the new fleet",
    "Updating": "updating the new fleet",
    "ActivatingTraffic": "shifting traffic",
    "Baking": "baking",
    "Deleting": "removing the old fleet",
}


def phase(endpoint: dict[str, Any]) -> str:
    status = str(endpoint["EndpointStatus"])
    if status == "RollingBack":
        return "rolling back"
    pending = endpoint.get("PendingDeploymentSummary") or {}
    for variant in pending.get("ProductionVariants", []):
        steps = variant.get("VariantStatus") or []
        if steps:
            words = PHASES.get(steps[-1]["Status"], steps[-1]["Status"])
            weight = variant.get("CurrentWeight")
            share = f" ({weight:g} of the weight)" if weight is not None else ""
            return f"{status}: {words}{share}"
    return status


def check_serving(endpoint: dict[str, Any], names: Names) -> None:
    reason = endpoint.get("FailureReason")
    if endpoint["EndpointStatus"] != "InService":
        raise StepFailed(
            "wait", f"endpoint is {endpoint['EndpointStatus']}: {reason or 'no reason given'}"
        )
    if endpoint["EndpointConfigName"] != names.endpoint_config:
        raise StepFailed(
            "wait",
            f"endpoint serves {endpoint['EndpointConfigName']}, not {names.endpoint_config}: {reason or 'rolled back'}",
        )
    if reason:
        raise StepFailed("wait", f"endpoint is InService but reports: {reason}")


def smoke_row(signature: sig.Signature) -> bytes:
    """The signature's first example as the proxy sends it: one CSV row, made by the proxy's
    own reader of a request body (a category's name becomes its code there)."""
    record = signature.examples[0]["record"]
    rows = validation.BodyReader(signature, max_batch_size=1).rows(json.dumps(record))
    return predictor.to_csv(rows, missing=True, booleans=True)


def smoke_test(run: Deployment, names: Names, signature: sig.Signature) -> str:
    """Invoke the endpoint as the proxy will with the signature's first example, read the
    answer as the proxy reads it, and compare it with the model's own score for that row (made
    when the model was imported): another model, or a container that answers otherwise, fails."""
    if not signature.examples:
        raise StepFailed("smoke test", "the signature has no example to send")
    row = smoke_row(signature)
    response = run.aws.runtime.invoke_endpoint(
        EndpointName=names.endpoint, Body=row, ContentType="text/csv", Accept="application/json"
    )
    payload = response["Body"].read()
    text = payload.decode(errors="replace")[:200]
    reader = answers.AnswerReader(signature)
    try:
        score = reader.scores(payload, expected_rows=1)[0]
        prediction = reader.label([score])[0]
    except answers.BadAnswer as error:
        raise StepFailed("smoke test", f"{error}: {text}") from None
    expected = signature.examples[0]["score"]
    if not same_score(score, expected):
        raise StepFailed(
            "smoke test",
            f"row {row.decode()} should score {expected}, the endpoint said {score}: is the "
            "endpoint serving this artifact?",
        )
    return f"{row.decode()} -> {prediction}"


def same_score(got: Any, expected: Any) -> bool:
    if isinstance(expected, list):
        return (
            isinstance(got, list)
            and len(got) == len(expected)
            and all(same_score(g, e) for g, e in zip(got, expected, strict=True))
        )
    if isinstance(got, list):
        return False
    return abs(float(got) - float(expected)) <= SCORE_TOLERANCE * max(1.0, abs(float(expected)))


def ensure_autoscaling(
    run: Deployment, names: Names, minimum: int, maximum: int, target: float
) -> None:
    resource = f"endpoint/{names.endpoint}/variant/{VARIANT_NAME}"
    if run.dry_run:
        run.out(
            f"  scale    {resource}: {minimum}..{maximum} instances at {target:g} invocations/instance/min  (dry run)"
        )
        return
    run.aws.autoscaling.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=resource,
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        MinCapacity=minimum,
        MaxCapacity=maximum,
    )
    run.aws.autoscaling.put_scaling_policy(
        PolicyName=f"{names.endpoint}-invocations",
        ServiceNamespace="sagemaker",
        ResourceId=resource,
        ScalableDimension="sagemaker:variant:DesiredInstanceCount",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": target,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
            },
        },
    )
    run.out(
        f"  scaled   {resource}: {minimum}..{maximum} instances at {target:g} invocations/instance/min"
    )
