"""Print what an endpoint's data capture recorded: each request, its answer, and the classes.

    python -m scripts.captured --endpoint-name iris-xgboost [--since 2026-11-27T10:00]

Reads s3://<bucket>/capture/<endpoint>/ (deploy_endpoint --capture-percent N writes there).
"""

from __future__ import annotations

import argparse
import collections
import datetime
import json
import sys

from paths import LAMBDA_METADATA
from provisioning import checks
from provisioning.aws import AwsClients
from provisioning.captured import captures, classes_of
from provisioning.checks import AWS_ERRORS
from provisioning.naming import project_bucket


def since(value: str) -> datetime.datetime:
    moment = datetime.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.captured", description=__doc__)
    parser.add_argument("--endpoint-name", required=True, help="the endpoint whose capture to read")
    parser.add_argument(
        "--since", type=since, help="only invocations from this time on (ISO 8601, UTC if no zone)"
    )
    parser.add_argument("--bucket", help="default: sagemaker-proxy-<account>-<region>")
    parser.add_argument("--region", help="AWS region (default: from the AWS configuration)")
    args = parser.parse_args(argv)
    problem = checks.sagemaker_name(args.endpoint_name, "--endpoint-name")
    if problem:
        parser.error(problem)
    labels = tuple(json.loads(LAMBDA_METADATA.read_text())["class_labels"])
    counts: collections.Counter[str] = collections.Counter()
    try:
        aws = AwsClients.create(args.region)
        account = aws.sts.get_caller_identity()["Account"]
        bucket = args.bucket or project_bucket(account, aws.region)
        for capture in captures(aws.s3, bucket, f"capture/{args.endpoint_name}", args.since):
            classes = classes_of(capture.answer, labels)
            counts.update(classes)
            print(f"{capture.time}  {capture.event_id}")
            print(f"  request  {capture.request!r}")
            print(f"  answer   {capture.answer!r}  -> {', '.join(classes)}")
    except AWS_ERRORS as error:
        print(f"captured failed: {checks.one_line(error)}")
        return 1
    print(f"\n{sum(counts.values())} predictions: " + ", ".join(
        f"{label} {counts[label]}" for label in labels
    ))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
