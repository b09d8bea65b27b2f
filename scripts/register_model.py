"""Register an artifact as a version in SageMaker's Model Registry, with its signature.

    python -m scripts.register_model --group iris --metric accuracy=0.93 [--approve]

Makes the model package group when it is missing, stores the artifact and its signature by their
content in the project's bucket, and adds a version: the container image, the content types it
takes and answers, and in its metadata the signature, the artifact's sha256, the objective, your
metrics and the git commit; the drift baseline beside the signature goes with it. The version
waits for approval (PendingManualApproval) unless --approve says otherwise. Registering the same
artifact again adds nothing.
"""

from __future__ import annotations

if __name__ == "__main__":
    # Before the imports below: foundation.interrupts and foundation.lean_start say why.
    from foundation import interrupts, lean_start

    interrupts.one_line_while_starting("register_model")
    lean_start.skip_scikit_learn()

import argparse
import sys
from pathlib import Path

from artifacts.baseline_files import MAKE_BASELINE, baseline_files, baseline_path_for
from artifacts.binding import BindingError, bound_signature
from artifacts.packaging import SIGNATURE_SUFFIX, signature_path_for
from foundation.command_help import ends_with_example
from foundation.images import (
    DEFAULT_XGBOOST_VERSION,
    UnsupportedRegion,
    UnsupportedVersion,
    check_xgboost_version,
    xgboost_image_uri,
)
from foundation.interrupts import Interrupted, interruptible, stops_in_one_line
from foundation.lambda_code import drift
from foundation.lambda_code import signature as sig
from foundation.paths import MODEL_ARTIFACT
from provisioning import checks
from provisioning.aws import AwsClients, project_tags
from provisioning.checks import AWS_ERRORS
from provisioning.endpoint.model_resources import ensure_bucket
from provisioning.model_registry import (
    APPROVED,
    GROUP_NAME,
    PENDING,
    Registration,
    parse_metrics,
    register,
)
from provisioning.naming import project_bucket
from provisioning.plan import Deployment, fail, interrupted

# Registering the same artifact again adds nothing.
AGAIN = "the same command registers again"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        **ends_with_example(
            "python -m scripts.register_model --group iris --model build/model.tar.gz --approve"
        ),
        prog="python -m scripts.register_model",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("--group", required=True, help="the model package group (one per model)")
    p.add_argument("--model", type=Path, default=MODEL_ARTIFACT, help="default: build/model.tar.gz")
    p.add_argument("--signature", type=Path, help="its signature (default: beside it)")
    p.add_argument(
        "--metric",
        action="append",
        default=[],
        metavar="NAME=NUMBER",
        help="a training metric to record with the version; repeat for several",
    )
    p.add_argument(
        "--approve", action="store_true", help="register it Approved (default: pending approval)"
    )
    p.add_argument("--description", default="", help="what this version is")
    p.add_argument(
        "--xgboost-version",
        default=DEFAULT_XGBOOST_VERSION,
        help=f"the built-in container's version (default: {DEFAULT_XGBOOST_VERSION})",
    )
    p.add_argument("--image", help="your own serving image's ECR URI instead")
    p.add_argument("--bucket", help="default: sagemaker-proxy-<account>-<region>")
    p.add_argument("--region", help="AWS region (default: from the AWS configuration)")
    return p


def stored_baseline(signature_path: Path, signature: sig.Signature) -> dict[str, bytes]:
    """The model's baseline files, by the names they are stored under beside the version's
    signature, when a baseline lies beside its signature; BaselineError (a ValueError) when
    that one is not the model's."""
    path = baseline_path_for(signature_path)
    if not path.is_file():
        return {}
    baseline = drift.bound_baseline(drift.read_baseline(path), signature)
    files = baseline_files(baseline, Path("model" + SIGNATURE_SUFFIX))
    return {name.name: body for name, body in files.items()}


@stops_in_one_line(lambda stop: f"INTERRUPTED ({stop.name}): stopped; {AGAIN}")
def main(argv: list[str] | None = None) -> int:
    arguments = parser()
    args = arguments.parse_args(argv)
    problem = None
    if not GROUP_NAME.fullmatch(args.group):
        problem = f"--group {args.group!r} is not a model package group name"
    elif args.bucket and not checks.BUCKET.fullmatch(args.bucket):
        problem = f"--bucket {args.bucket!r} is not an S3 bucket name"
    elif args.image:
        problem = checks.image_uri(args.image)
    elif len(args.description) > 1000:
        problem = "--description is longer than 1000 characters"
    problem = problem or checks.artifact(args.model)
    stored: dict[str, bytes] = {}
    try:
        metrics = parse_metrics(args.metric)
        signature = None if problem else bound_signature(args.model, args.signature)
        if signature is not None and not args.image:
            check_xgboost_version(args.xgboost_version, signature.xgboost_version)
        if signature is not None:
            stored = stored_baseline(args.signature or signature_path_for(args.model), signature)
    except (ValueError, BindingError, UnsupportedVersion) as error:
        problem = problem or str(error)
    if problem or signature is None:
        arguments.error(problem or "no signature")
    try:
        aws = AwsClients.create(args.region)
        image = args.image or xgboost_image_uri(aws.region, args.xgboost_version)
    except UnsupportedRegion as error:
        print(f"FAILED: {error}")
        return 1
    except AWS_ERRORS as error:
        print(f"FAILED: {checks.one_line(error)}")
        return 1
    run = Deployment(aws)
    step = "account"
    try:
        with interruptible():
            account = str(aws.sts.get_caller_identity()["Account"])
            bucket = args.bucket or project_bucket(account, aws.region)
            step = "bucket"
            ensure_bucket(run, bucket, project_tags(), project_bucket=args.bucket is None)
            step = "register"
            registration = Registration(
                group=args.group,
                bucket=bucket,
                image=image,
                signature=signature,
                artifact=args.model.read_bytes(),
                metrics=metrics,
                status=APPROVED if args.approve else PENDING,
                description=args.description,
                baseline_files=stored,
            )
            version = register(aws.sagemaker, aws.s3, registration, run.out)
    except Interrupted as stop:
        return interrupted(run, step, stop, AGAIN)
    except AWS_ERRORS as error:
        return fail(run, step, checks.one_line(error))
    run.undo.clear()
    print(f"version: {version.arn} ({version.status})")
    if not stored:
        print(
            f"note:    no drift baseline beside the signature, so the version has none: {MAKE_BASELINE}"
        )
    if version.status != APPROVED:
        print(
            f"next:    python -m scripts.model_versions approve --group {args.group} "
            f'--version {version.version} --reason "..."'
        )
    print(
        f"then:    python -m scripts.deploy_endpoint --model-package-group {args.group} "
        "--endpoint-name ..."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
