"""Print what an endpoint's data capture recorded: each request, the model's answer, and the
prediction the proxy made of it (read by the model's signature).

    python -m scripts.captured --endpoint-name iris-xgboost [--since 2026-11-27T10:00]

Reads s3://<bucket>/capture/<endpoint>/ (deploy_endpoint --capture-percent N writes there), every
model's capture alike (scripts.drift_report tells them apart, and compares them with baselines).
"""

from __future__ import annotations

import argparse
import collections
import datetime
import sys
from pathlib import Path
from typing import Any

from foundation.command_help import ends_with_example
from foundation.lambda_code import answers, drift
from foundation.lambda_code import signature as sig
from foundation.paths import CHALICE_CONFIG_DIR
from provisioning import checks, stage_config
from provisioning.aws import AwsClients
from provisioning.checks import AWS_ERRORS
from provisioning.endpoint.captured import Unreadable, captures
from provisioning.naming import project_bucket


def since(value: str) -> datetime.datetime:
    moment = datetime.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def summary(predictions: list[dict[str, Any]], signature: sig.Signature) -> str:
    """Class counts for a classifier; the mean of each output of a model of several; count, mean
    and range of the values otherwise."""
    if signature.is_classifier:
        counts = collections.Counter(prediction["label"] for prediction in predictions)
        return f"{len(predictions)} predictions: " + ", ".join(
            f"{label} {counts[label]}" for label in signature.labels
        )
    if signature.outputs:
        if not predictions:
            return "0 predictions"
        key = "quantiles" if signature.quantiles else "values"
        means = ", ".join(
            f"{name} {sum(p[key][name] for p in predictions) / len(predictions):g}"
            for name in signature.outputs
        )
        return f"{len(predictions)} predictions: mean {means}"
    values = [prediction["value"] for prediction in predictions]
    if not values:
        return "0 predictions"
    mean = sum(values) / len(values)
    return f"{len(values)} predictions: mean {mean:g}, from {min(values):g} to {max(values):g}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        **ends_with_example(
            "python -m scripts.captured --endpoint-name iris-xgboost --since 2026-11-27T10:00"
        ),
        prog="python -m scripts.captured",
        description=__doc__,
    )
    parser.add_argument("--endpoint-name", required=True, help="the endpoint whose capture to read")
    parser.add_argument(
        "--since", type=since, help="only invocations from this time on (ISO 8601, UTC if no zone)"
    )
    parser.add_argument(
        "--signature",
        type=Path,
        help="the served model's signature (default: that of the stage that calls the endpoint, "
        "which deploy_endpoint recorded)",
    )
    parser.add_argument("--bucket", help="default: sagemaker-proxy-<account>-<region>")
    parser.add_argument("--region", help="AWS region (default: from the AWS configuration)")
    args = parser.parse_args(argv)
    problem = checks.sagemaker_name(args.endpoint_name, "--endpoint-name")
    if problem:
        parser.error(problem)
    path = args.signature or stage_config.signature_of_endpoint(
        args.endpoint_name, CHALICE_CONFIG_DIR
    )
    if path is None:
        parser.error(f"no stage records {args.endpoint_name}'s signature: pass --signature")
    try:
        signature = sig.read_signature(path)
    except sig.SignatureError as error:
        parser.error(f"signature {error}")
    reader = answers.AnswerReader(signature)
    seen: list[dict[str, Any]] = []
    unreadable = 0
    try:
        aws = AwsClients.create(args.region)
        account = aws.sts.get_caller_identity()["Account"]
        bucket = args.bucket or project_bucket(account, aws.region)
        for capture in captures(aws.s3, bucket, f"capture/{args.endpoint_name}", args.since):
            if isinstance(capture, Unreadable):
                unreadable += 1
                print(f"{capture.key}: a line that is no capture record ({capture.reason})")
                continue
            print(f"{capture.time}  {capture.event_id}")
            print(f"  request  {capture.request!r}")
            try:
                predictions = drift.predictions_of(capture.answer, reader)
            except (answers.BadAnswer, ValueError, TypeError):
                print(f"  answer   {capture.answer!r}  -> not this signature's answer")
                continue
            seen += predictions
            said = ", ".join(
                str(p.get("label", p.get("value", p.get("quantiles", p.get("values")))))
                for p in predictions
            )
            print(f"  answer   {capture.answer!r}  -> {said}")
    except AWS_ERRORS as error:
        print(f"captured failed: {checks.one_line(error)}")
        return 1
    print(f"\n{summary(seen, signature)}")
    if unreadable:
        print(f"{unreadable} lines were no capture record")
    return 0


if __name__ == "__main__":
    sys.exit(main())
