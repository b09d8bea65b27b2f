"""Watch a stage's model for drift on AWS without anyone running a command: a scheduled function
reads the last window of the endpoint's capture, compares it with the model's baseline (the
figures of `scripts.drift_report`) and publishes them as CloudWatch metrics, with alarms and a
dashboard row, once `make deploy` ships it.

    python -m scripts.drift_schedule --stage dev --schedule "rate(1 hour)"
    make deploy STAGE=dev

Each run reads the window since the one before (the schedule's interval). It needs the endpoint's
capture (`deploy_endpoint --capture-percent N`) and the model's baseline beside the stage's
signature (deploy_endpoint copies it from beside the artifact). `--off` removes the function
from the stage (at its next deploy).
"""

from __future__ import annotations

if __name__ == "__main__":
    # Before the imports below: a signal in them is one line too (foundation.interrupts says why).
    from foundation.interrupts import one_line_while_starting

    one_line_while_starting("drift_schedule")

import argparse
import math
import sys
from pathlib import Path

from foundation.command_help import ends_with_example
from foundation.interrupts import one_line_on_signal
from foundation.lambda_code import drift, drift_metrics, drift_schedule
from foundation.paths import CHALICE_CONFIG_DIR
from provisioning import checks
from provisioning.api.preflight import StageTarget
from provisioning.aws import AwsClients
from provisioning.checks import AWS_ERRORS
from provisioning.drift_stage import (
    FUNCTION_CONFIG,
    DriftStage,
    capture_destination,
    drift_policy,
    stage_baseline,
    write_stage,
)
from provisioning.naming import project_bucket
from provisioning.stage_switch import no_endpoint_yet, read_stage, switched_off, switched_on
from watch.threshold_flags import add_threshold_flags, level_names, order_problem

# US East list prices (CloudWatch and Lambda pricing pages): a custom metric by the month, an
# alarm by the month per metric it reads, a GB-second of Lambda.
METRIC_MONTH_USD, ALARM_MONTH_USD, LAMBDA_GB_SECOND_USD = 0.30, 0.10, 0.0000166667
# The thresholds the function judges by, each a warn and an alert level (its alarms read these).
KINDS = ("psi", "missing")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        **ends_with_example(
            'python -m scripts.drift_schedule --stage dev --schedule "rate(1 hour)"'
        ),
        prog="python -m scripts.drift_schedule",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("--stage", default="dev", help="the stage whose model to watch (default: dev)")
    p.add_argument(
        "--schedule",
        help='how often, and the window each run reads: "rate(1 hour)", "rate(6 hours)", '
        '"rate(1 day)" (10 minutes to 7 days)',
    )
    p.add_argument(
        "--bucket",
        help="the capture's bucket (default: the one the endpoint captures into, else "
        "sagemaker-proxy-<account>-<region>)",
    )
    limits = p.add_argument_group("thresholds (the alarms fire over the alert levels)")
    add_threshold_flags(limits, KINDS, float)
    defaults = drift.Thresholds()
    limits.add_argument(
        "--min-rows",
        type=int,
        default=defaults.min_rows,
        help=f"fewer rows than this in a window: nothing published (default: {defaults.min_rows})",
    )
    p.add_argument("--off", action="store_true", help="remove the stage's drift function")
    p.add_argument(
        "--chalice-config-dir", type=Path, default=CHALICE_CONFIG_DIR, help=argparse.SUPPRESS
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)

    def refuse(message: str) -> int:
        print(f"drift_schedule: {message}", file=sys.stderr)
        return 2

    try:
        files, target = read_stage(args.stage, args.chalice_config_dir)
    except ValueError as error:
        return refuse(str(error))
    if args.off:
        return switched_off(
            write_stage(files, args.stage, None, None), args.stage, "drift function"
        )
    try:
        thresholds = _checked(args, target)
        signature = stage_baseline(args.chalice_config_dir, args.stage)[1]
    except ValueError as error:
        return refuse(str(error))
    assert target.region is not None
    try:
        aws = AwsClients.create(target.region)
        account = str(aws.sts.get_caller_identity()["Account"])
        destination = capture_destination(aws.sagemaker, target.endpoint_name)
    except AWS_ERRORS as error:
        print(f"drift_schedule: {checks.one_line(error)}", file=sys.stderr)
        return 1
    bucket = args.bucket or (destination[0] if destination else None)
    bucket = bucket or project_bucket(account, aws.region)
    prefix = f"capture/{target.endpoint_name}/"
    if destination is None:
        print(
            f"note:    endpoint {target.endpoint_name} captures nothing yet: until it does "
            f"(deploy_endpoint --stage {args.stage} --capture-percent N), each run logs "
            '"nothing captured"'
        )
    elif destination[0] != bucket or not (destination[1] + "/").startswith(prefix):
        print(
            f"note:    endpoint {target.endpoint_name} captures into s3://{destination[0]}/"
            f"{destination[1]}, not under s3://{bucket}/{prefix}: redeploy it with "
            "deploy_endpoint --capture-percent N to capture where the function reads"
        )
    wanted = DriftStage(args.stage, bucket, args.schedule, thresholds)
    policy = drift_policy(aws.region, account, args.stage, target.endpoint_name, bucket)
    return switched_on(
        write_stage(files, args.stage, wanted, policy),
        args.stage,
        f"reads    s3://{bucket}/{prefix} every {args.schedule[5:-1]}, the window since the last",
        _cost_line(args.schedule, len(signature.features), max(1, len(signature.outputs))),
    )


def _checked(args: argparse.Namespace, target: StageTarget) -> drift.Thresholds:
    """The thresholds, once everything given is checked; ValueError (one line) otherwise."""
    if not args.schedule:
        raise ValueError('say how often: --schedule "rate(1 hour)" (or --off)')
    drift_schedule.interval_seconds(args.schedule)
    for name in level_names(KINDS):
        value = getattr(args, name)
        if not math.isfinite(value) or value <= 0:
            raise ValueError(f"--{name.replace('_', '-')} must be a number above 0")
    problem = order_problem(args, KINDS)
    if problem is not None:
        raise ValueError(problem)
    if args.bucket and not checks.BUCKET.fullmatch(args.bucket):
        raise ValueError(f"--bucket {args.bucket!r} is not an S3 bucket name")
    problem = no_endpoint_yet(target)
    if problem is not None:
        raise ValueError(problem)
    return drift.Thresholds(
        **{name: getattr(args, name) for name in (*level_names(KINDS), "min_rows")}
    )


def _cost_line(schedule: str, features: int, outputs: int) -> str:
    runs = round(30 * 86400 / drift_schedule.interval_seconds(schedule))
    metrics = drift_metrics.metric_count(features, outputs)
    gb = FUNCTION_CONFIG["lambda_memory_size"] / 1024
    return (
        f"cost:    {metrics} custom metrics (USD {metrics * METRIC_MONTH_USD:.2f} a month), 4 alarms "
        f"(USD {4 * ALARM_MONTH_USD:.2f}), {runs} runs a month of the function (USD "
        f"{runs * gb * LAMBDA_GB_SECOND_USD:.4f} a month for each second a run takes); us-east-1 "
        "list prices"
    )


run = one_line_on_signal(main, "drift_schedule")


if __name__ == "__main__":
    sys.exit(run())
