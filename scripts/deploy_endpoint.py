"""Deploy build/model.tar.gz to a SageMaker endpoint, then point a Chalice stage at it.

Every step describes before it creates, and every name derives from the artifact's
sha256, so a rerun with the same artifact creates nothing. When a step fails, what this
run created is removed again, newest first; what existed before is left alone.
"""

from __future__ import annotations

if __name__ == "__main__":
    # Before the imports below: foundation.interrupts and foundation.lean_start say why.
    from foundation import interrupts, lean_start

    interrupts.one_line_while_starting("deploy_endpoint")
    lean_start.skip_scikit_learn()

import argparse
import sys
from pathlib import Path

from foundation.command_help import ends_with_example
from foundation.images import DEFAULT_XGBOOST_VERSION
from foundation.interrupts import stops_in_one_line
from foundation.paths import BUILD_DIR, CHALICE_CONFIG_DIR
from provisioning import checks
from provisioning.aws import AwsClients
from provisioning.checks import AWS_ERRORS
from provisioning.endpoint.arguments import ALARM_FLAGS, argument_problem, request_from, review_of
from provisioning.endpoint.deploy import deploy_endpoint
from provisioning.model_registry import ModelVersion, RegistryRefused, chosen_version
from provisioning.monitoring import EndpointThresholds
from provisioning.plan import Deployment
from provisioning.registered_models import fetch, registered_signature, version_serving
from provisioning.signature_contract import ACCEPT_FLAG, ContractRefused
from provisioning.stage_review import write_clients


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        **ends_with_example(
            "python -m scripts.deploy_endpoint --endpoint-name iris-xgboost --stage dev"
        ),
        prog="python -m scripts.deploy_endpoint",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument(
        "--endpoint-name", required=True, help="the SageMaker endpoint to create or update"
    )
    p.add_argument(
        "--model",
        type=Path,
        help="the artifact to deploy (default: build/model.tar.gz)",
    )
    registry = p.add_argument_group(
        "from the Model Registry (instead of --model): an approved version, its signature with it"
    )
    registry.add_argument(
        "--model-package-group",
        metavar="GROUP",
        help="deploy the latest approved version of this group (scripts.register_model)",
    )
    registry.add_argument("--version", type=int, help="that version instead (it must be approved)")
    registry.add_argument(
        "--previous",
        action="store_true",
        help="roll back: the latest approved version before the one the endpoint serves",
    )
    p.add_argument(
        "--signature",
        type=Path,
        help="the artifact's signature, which must be made for it (default: beside it, "
        "<name>.signature.json); the stage's proxy validates by it",
    )
    p.add_argument(
        "--bucket",
        help="S3 bucket for the artifact (default: sagemaker-proxy-<account>-<region>, created if missing)",
    )
    p.add_argument(
        "--role-arn",
        help="SageMaker execution role to use (default: create sagemaker-proxy-<endpoint> once)",
    )
    p.add_argument(
        "--region", help="AWS region (default: AWS_REGION / AWS_DEFAULT_REGION / profile)"
    )
    p.add_argument(
        "--instance-type", default="ml.m5.large", help="instance type (default: ml.m5.large)"
    )
    p.add_argument(
        "--instance-count", type=int, default=1, help="initial instance count (default: 1)"
    )
    p.add_argument(
        "--serverless-memory",
        type=int,
        choices=[1024, 2048, 3072, 4096, 5120, 6144],
        help="serve serverless with this much memory (MB) instead of instances",
    )
    p.add_argument(
        "--serverless-concurrency",
        type=int,
        default=5,
        help="serverless max concurrency (default: 5)",
    )
    p.add_argument(
        "--image", help="container image URI (default: the built-in XGBoost image for the region)"
    )
    p.add_argument(
        "--xgboost-version",
        default=DEFAULT_XGBOOST_VERSION,
        help=f"built-in XGBoost image version (default: {DEFAULT_XGBOOST_VERSION})",
    )
    p.add_argument(
        "--stage", default="dev", help="Chalice stage to point at the endpoint (default: dev)"
    )
    p.add_argument(
        ACCEPT_FLAG,
        action="store_true",
        help="deploy a model whose signature differs from the one the stage serves (a feature "
        "added, removed, renamed or retyped, bounds, categories, labels or objective changed): "
        "the change is shown, and the stage's API changes under every client",
    )
    p.add_argument(
        "--clients-dir",
        type=Path,
        help="where a deploy that changes the stage's API writes its clients' files anew: "
        "openapi.json, the Postman collection and the TypeScript types (default: "
        "build/clients/<stage>)",
    )
    p.add_argument(
        "--chalice-config-dir",
        type=Path,
        default=CHALICE_CONFIG_DIR,
        help=argparse.SUPPRESS,
    )
    p.add_argument(
        "--wait-minutes", type=int, default=30, help="longest wait for InService (default: 30)"
    )
    p.add_argument(
        "--no-wait",
        action="store_true",
        help="return once the create or update is started (no smoke test)",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan; make no change (only describe calls)",
    )
    p.add_argument(
        "--traffic",
        default="canary:10:300",
        help="how an update of a live endpoint shifts traffic, rolled back by the endpoint's "
        "alarms: all-at-once, canary:PERCENT:WAIT_SECONDS or linear:PERCENT:INTERVAL_SECONDS "
        "(default: canary:10:300)",
    )
    defaults = EndpointThresholds()
    for flag, field, what in ALARM_FLAGS:
        default = getattr(defaults, field)
        p.add_argument(flag, type=float, default=default, help=f"{what} (default: {default:g})")
    p.add_argument(
        "--capture-percent",
        type=int,
        default=0,
        help="capture this percent of requests and answers to s3://<bucket>/capture/<endpoint>/ "
        "(default: 0, none); read them with python -m scripts.captured",
    )
    p.add_argument(
        "--keep-configs",
        type=int,
        default=2,
        help="after a deploy that serves, keep this many earlier endpoint configs (and their "
        "models) to go back to, and remove older ones (default: 2; 0 keeps only the one serving)",
    )
    p.add_argument(
        "--break-lock",
        action="store_true",
        help="take the endpoint's lock even from a run that may still be going (one on another "
        "machine that was killed: a run on this machine takes over a dead run's lock by itself)",
    )
    p.add_argument(
        "--autoscale-min", type=int, default=1, help="autoscaling minimum instances (default: 1)"
    )
    p.add_argument(
        "--autoscale-max",
        type=int,
        help="enable target-tracking autoscaling up to this many instances",
    )
    p.add_argument(
        "--target-invocations",
        type=float,
        default=100.0,
        help="target invocations per instance per minute (default: 100)",
    )
    return p


@stops_in_one_line(lambda stop: f"INTERRUPTED ({stop.name}): stopped; run the same command again")
def main(argv: list[str] | None = None) -> int:
    arguments = parser()
    args = arguments.parse_args(argv)
    try:
        problem = argument_problem(args)
        if problem:
            arguments.error(problem)  # exits 2, before any AWS call
        if not args.model_package_group:
            review_of(args)  # a change of API refused before any AWS call
        aws = AwsClients.create(args.region)
        version = _registered_version(args, aws) if args.model_package_group else None
    except RegistryRefused as error:
        print(f"REFUSED: {error} (nothing made)")
        return 2
    except ContractRefused as refusal:
        print(refusal)
        return 2
    except AWS_ERRORS as error:
        print(f"FAILED: {checks.one_line(error)}")
        return 1
    request = request_from(args, version, args.review)
    code = deploy_endpoint(request, aws, Deployment(aws, dry_run=args.dry_run))
    return _clients_after(code, args)


def _clients_after(code: int, args: argparse.Namespace) -> int:
    """After a deploy that changed the stage's API, its clients' files made again."""
    if code != 0 or not args.review.contract.changed:
        return code
    folder = args.clients_dir or BUILD_DIR / "clients" / args.stage
    if args.dry_run:
        print(f"  write    {folder}: openapi.json, the Postman collection, api.d.ts  (dry run)")
        return code
    return write_clients(args.review, folder)


def _registered_version(args: argparse.Namespace, aws: AwsClients) -> ModelVersion:
    """The version to deploy, fetched into build/registry/ and checked; its artifact, signature
    and image become the deploy's."""
    group = args.model_package_group
    serving_now = (
        version_serving(aws.sagemaker, args.endpoint_name, group) if args.previous else None
    )
    if args.previous and serving_now is None:
        raise RegistryRefused(f"endpoint {args.endpoint_name} serves no version of {group}")
    version = chosen_version(aws.sagemaker, group, args.version, previous_of=serving_now)
    review_of(args, registered_signature(aws.s3, version)[1])  # before anything is fetched
    args.model, signature = fetch(aws.s3, version)
    args.signature = None
    args.image = version.image
    print(
        f"version: {group} {version.version} ({version.status}"
        + (f", replacing {serving_now}" if serving_now else "")
        + f"), {signature.objective}, sha256 {version.sha256[:12]}"
    )
    return version


if __name__ == "__main__":
    sys.exit(main())
