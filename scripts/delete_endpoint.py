"""Tear down an endpoint made by scripts.deploy_endpoint: autoscaling, endpoint, alarms, configs,
models.

Only resources tagged project=sagemaker-proxy and made for this endpoint are touched, never
another endpoint's whose name starts alike. It holds the endpoint's lock (no deploy of it runs
meanwhile) and looks again before each step: it never reports success over a live endpoint. A
second run finds nothing and does nothing. The S3 artifact, the bucket and the execution role
are kept: they cost nothing at rest and make a redeploy quick.
"""

from __future__ import annotations

if __name__ == "__main__":
    # Before the imports below: a signal in them is one line too (foundation.interrupts says why).
    from foundation.interrupts import one_line_while_starting

    one_line_while_starting("delete_endpoint")

import argparse
import sys

from foundation.command_help import ends_with_example
from foundation.interrupts import stops_in_one_line
from provisioning import checks
from provisioning.aws import AwsClients
from provisioning.checks import AWS_ERRORS
from provisioning.endpoint.teardown import delete


@stops_in_one_line(lambda stop: f"INTERRUPTED ({stop.name}) before anything was deleted")
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        **ends_with_example(
            "python -m scripts.delete_endpoint --endpoint-name iris-xgboost --dry-run"
        ),
        prog="python -m scripts.delete_endpoint",
        description=__doc__.split("\n\n")[0],
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
        "--bucket",
        help="the bucket deploy_endpoint used (--bucket there), which holds the endpoint's "
        "lock (default: sagemaker-proxy-<account>-<region>)",
    )
    parser.add_argument(
        "--break-lock",
        action="store_true",
        help="take the endpoint's lock even from a run that may still be going",
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
    if args.bucket and not checks.BUCKET.fullmatch(args.bucket):
        problem = f"--bucket {args.bucket!r} is not an S3 bucket name"
    if problem:
        parser.error(problem)  # exits 2, before any AWS call
    try:
        aws = AwsClients.create(args.region)
        return delete(
            aws,
            args.endpoint_name,
            args.keep_model,
            args.dry_run,
            wait_minutes=args.wait_minutes,
            bucket=args.bucket,
            break_lock=args.break_lock,
        )
    except AWS_ERRORS as error:
        print(f"FAILED: {checks.one_line(error)}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
