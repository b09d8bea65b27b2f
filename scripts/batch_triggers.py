"""Score new data in S3 without anyone running a command: a stage's batch functions start a
Batch Transform job on the stage's model for CSV that arrives under an input prefix, as it
arrives (--on-arrival) and/or on a schedule (--schedule), once `make deploy` ships them.

    python -m scripts.batch_triggers --stage dev --input s3://my-data/incoming/ \\
        --output s3://my-data/scored/ --id-columns 1 --on-arrival --schedule "rate(1 day)"
    make deploy STAGE=dev

Input: CSV without a header, the id columns first, then the features in the model's order (what
`python -m scripts.batch_score --input s3://...` takes). Each job lists its objects in a manifest
under <output>manifests/, and an object is sent once. `--off` removes the functions from the
stage (at its next deploy).
"""

from __future__ import annotations

if __name__ == "__main__":
    # Before the imports below: a signal in them is one line too (foundation.interrupts says why).
    from foundation.interrupts import one_line_while_starting

    one_line_while_starting("batch_triggers")

import argparse
import re
import sys
from pathlib import Path

from batch.stage import (
    BatchStage,
    functions_policy,
    grant_model_role,
    send_events_to_eventbridge,
    write_stage,
)
from batch.transform import location_problem, price_line, spec_problem
from foundation.command_help import ends_with_example
from foundation.interrupts import one_line_on_signal
from foundation.lambda_code import batch_jobs
from foundation.paths import CHALICE_CONFIG_DIR
from provisioning import checks
from provisioning.aws import AwsClients
from provisioning.checks import AWS_ERRORS
from provisioning.stage_switch import no_endpoint_yet, read_stage, switched_off, switched_on

# EventBridge Scheduler's rate() and cron() (six fields), as Chalice passes them on.
SCHEDULE = re.compile(
    r"rate\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\)|cron\((\S+ ){5}\S+\)"
)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        **ends_with_example(
            'python -m scripts.batch_triggers --stage dev --on-arrival --schedule "rate(1 day)"'
        ),
        prog="python -m scripts.batch_triggers",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("--stage", default="dev", help="the stage whose model scores (default: dev)")
    p.add_argument("--input", help="the prefix new CSV arrives under: s3://bucket/prefix/")
    p.add_argument("--output", help="the prefix the jobs write under: s3://bucket/prefix/")
    p.add_argument(
        "--id-columns", type=int, default=0, help="how many leading columns are ids (default 0)"
    )
    p.add_argument("--on-arrival", action="store_true", help="a job for each object as it arrives")
    p.add_argument(
        "--schedule",
        help='one job for what arrived since the last, e.g. "rate(1 day)" or "cron(0 3 * * ? *)"',
    )
    p.add_argument("--instance-type", default="ml.m5.large", help="default: ml.m5.large")
    p.add_argument("--instance-count", type=int, default=1, help="default: 1")
    p.add_argument("--kms-key", help="a KMS key ARN for the jobs' output and volumes")
    p.add_argument("--off", action="store_true", help="remove the stage's batch functions")
    p.add_argument(
        "--chalice-config-dir", type=Path, default=CHALICE_CONFIG_DIR, help=argparse.SUPPRESS
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)

    def refuse(message: str) -> int:
        print(f"batch_triggers: {message}", file=sys.stderr)
        return 2

    try:
        files, target = read_stage(args.stage, args.chalice_config_dir)
    except ValueError as error:
        return refuse(str(error))
    if args.off:
        return switched_off(
            write_stage(files, args.stage, None, None), args.stage, "batch functions"
        )
    problem = _argument_problem(args)
    locations = _locations(args) if problem is None else problem
    problem = locations if isinstance(locations, str) else no_endpoint_yet(target)
    if problem or isinstance(locations, str):
        return refuse(problem or str(locations))
    source, output = locations
    assert target.region is not None
    wanted = BatchStage(
        stage=args.stage,
        source=source,
        output=output,
        on_arrival=args.on_arrival,
        schedule=args.schedule,
        id_columns=args.id_columns,
        spec=batch_jobs.JobSpec(
            output=output,
            id_count=args.id_columns,
            instance_type=args.instance_type,
            instance_count=args.instance_count,
            kms_key=args.kms_key,
        ),
    )
    try:
        aws = AwsClients.create(target.region)
        account = aws.sts.get_caller_identity()["Account"]
        role = grant_model_role(aws, target.endpoint_name, wanted, account)
        print(f"granted  {role}: read {source.url}, write {output.url}")
        if args.on_arrival and send_events_to_eventbridge(aws.s3, source.bucket):
            print(f"events   s3://{source.bucket} now sends its events to EventBridge")
    except AWS_ERRORS as error:
        print(f"batch_triggers: {checks.one_line(error)}", file=sys.stderr)
        return 1
    policy = functions_policy(target.region, account, target.endpoint_name, wanted)
    return switched_on(
        write_stage(files, args.stage, wanted, policy),
        args.stage,
        price_line(args.instance_type, args.instance_count) + ", per job",
    )


def _argument_problem(args: argparse.Namespace) -> str | None:
    if not args.input or not args.output:
        return "--input and --output are both needed (or --off)"
    if not args.on_arrival and not args.schedule:
        return "say when: --on-arrival, --schedule EXPRESSION, or both"
    if args.schedule and not SCHEDULE.fullmatch(args.schedule):
        return f"--schedule {args.schedule!r} is not rate(N unit) or cron(six fields)"
    if not 0 <= args.id_columns <= 20:
        return "--id-columns must be from 0 to 20"
    if args.kms_key and not args.kms_key.startswith("arn:aws:kms:"):
        return "--kms-key must be a KMS key ARN"
    return spec_problem(args.instance_type, args.instance_count, batch_jobs.MAX_PAYLOAD_MB)


def _locations(
    args: argparse.Namespace,
) -> tuple[batch_jobs.S3Location, batch_jobs.S3Location] | str:
    """The input and output prefixes, or what is wrong with them."""
    try:
        source = batch_jobs.S3Location.parse(args.input, "--input")
        output = batch_jobs.S3Location.parse(args.output, "--output")
    except batch_jobs.JobRefused as error:
        return str(error)
    return location_problem(source, output) or (source, output)


run = one_line_on_signal(main, "batch_triggers")


if __name__ == "__main__":
    sys.exit(run())
