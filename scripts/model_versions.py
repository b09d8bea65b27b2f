"""A model's versions in the Model Registry: list them, approve or reject one.

    python -m scripts.model_versions list --group iris
    python -m scripts.model_versions approve --group iris --version 3 --reason "beats v2 on holdout"
    python -m scripts.model_versions reject --group iris --version 4 --reason "drifted"
    python -m scripts.model_versions policy --group iris --account 123456789012 --region eu-west-1

`list` shows each version's status, objective, artifact, signature contract (the sha256 of what
its clients see: two versions with the same one take the same bodies and give the same answers),
metrics, commit, the endpoints that serve it and why it was approved or rejected. Only approved versions can be deployed
(`deploy_endpoint --model-package-group`). `policy` prints the IAM policy each command needs for
one group (register, approve/reject, list, and what deploying a version adds), nothing wider.
"""

from __future__ import annotations

if __name__ == "__main__":
    # Before the imports below: foundation.interrupts and foundation.lean_start say why.
    from foundation import interrupts, lean_start

    interrupts.one_line_while_starting("model_versions")
    lean_start.skip_scikit_learn()

import argparse
import json
import re
import sys

from foundation.command_help import ends_with_example
from foundation.interrupts import one_line_on_signal
from provisioning import checks
from provisioning.aws import AwsClients
from provisioning.checks import AWS_ERRORS
from provisioning.model_registry import (
    APPROVED,
    COMMIT_KEY,
    GROUP_NAME,
    OBJECTIVE_KEY,
    REJECTED,
    ModelVersion,
    RegistryRefused,
    group_exists,
    set_status,
    versions,
)
from provisioning.naming import project_bucket
from provisioning.registered_models import contract_of, serving
from provisioning.registry_policies import registry_caller_policies

HEADER = "   v  status                  objective           artifact      contract      metrics"


def describe(version: ModelVersion, contract: str, endpoints: list[str]) -> str:
    """One line of ``list``: ``contract`` is the sha256 of the version's signature contract."""
    metrics = ", ".join(f"{k}={v}" for k, v in sorted(version.metrics.items())) or "-"
    return (
        f"{version.version:>4}  {version.status:<22}  {version.metadata.get(OBJECTIVE_KEY, '?'):<18}  "
        f"{version.sha256[:12]}  {contract[:12]:<12}  {metrics}  "
        f"commit {version.metadata.get(COMMIT_KEY, '?')[:12]}"
        + (f"  serving: {', '.join(endpoints)}" if endpoints else "")
        + (f"  ({version.approval_description})" if version.approval_description else "")
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        **ends_with_example("python -m scripts.model_versions list --group iris"),
        prog="python -m scripts.model_versions",
        description=__doc__.split("\n\n")[0],
    )
    commands = p.add_subparsers(dest="command", required=True)
    listing = commands.add_parser("list", help="every version of a group")
    listing.add_argument("--group", required=True)
    listing.add_argument("--region")
    policy = commands.add_parser("policy", help="the IAM policy each command needs")
    policy.add_argument("--group", required=True)
    policy.add_argument("--account", required=True, help="the 12-digit account id")
    policy.add_argument("--region", required=True)
    policy.add_argument("--bucket", help="default: sagemaker-proxy-<account>-<region>")
    for name in ("approve", "reject"):
        command = commands.add_parser(name, help=f"{name} a version, saying why")
        command.add_argument("--group", required=True)
        command.add_argument("--version", type=int, required=True)
        command.add_argument("--reason", required=True, help="recorded with the status")
        command.add_argument("--region")
    return p


def main(argv: list[str] | None = None) -> int:
    arguments = parser()
    args = arguments.parse_args(argv)
    if not GROUP_NAME.fullmatch(args.group):
        arguments.error(f"--group {args.group!r} is not a model package group name")
    if args.command == "policy":
        if not re.fullmatch(r"\d{12}", args.account):
            arguments.error("--account must be a 12-digit AWS account id")
        bucket = args.bucket or project_bucket(args.account, args.region)
        policies = registry_caller_policies(args.region, args.account, args.group, bucket)
        print(json.dumps(policies, indent=2))
        return 0
    if args.command != "list":
        if args.version < 1:
            arguments.error("--version must be 1 or more")
        if not args.reason.strip() or len(args.reason) > 1000:
            arguments.error("--reason must say why, in at most 1000 characters")
    try:
        aws = AwsClients.create(args.region)
        if args.command == "list":
            if not group_exists(aws.sagemaker, args.group):
                raise RegistryRefused(f"model package group {args.group} does not exist")
            served = serving(aws.sagemaker, args.group)
            print(HEADER)
            for version in versions(aws.sagemaker, args.group):
                contract = contract_of(aws.s3, version)
                print(describe(version, contract, served.get(version.version, [])))
            return 0
        status = APPROVED if args.command == "approve" else REJECTED
        version = set_status(aws.sagemaker, args.group, args.version, status, args.reason)
    except RegistryRefused as error:
        print(f"model_versions: {error}", file=sys.stderr)
        return 2
    except AWS_ERRORS as error:
        print(f"model_versions: {checks.one_line(error)}", file=sys.stderr)
        return 1
    print(f"{args.group} version {version.version}: {version.status} ({args.reason})")
    return 0


run = one_line_on_signal(main, "model_versions")


if __name__ == "__main__":
    sys.exit(run())
