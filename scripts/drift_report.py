"""Has the model's input drifted from what it was made with, or its predictions shifted? Read a
stage's captured requests and answers of a window and compare them with the model's baseline.

    python -m scripts.drift_report --stage dev [--since 24h | --from T --to T] [--html FILE]
    python -m scripts.drift_report --stage local --capture build/capture   (make run's capture)

Per feature: the population stability index (PSI), a two-sample test (Kolmogorov-Smirnov for
numbers, chi-square for booleans and categories), the missing, out-of-range and schema-violation
rates; and the shift of the predictions. Prints a table ranked by drift with the thresholds used,
writes a self-contained HTML report with --html. Each model served in the window is reported on
its own. Exit codes: 0 nothing crossed a threshold (or nothing was captured), 1 a threshold was
crossed, 2 bad input (arguments, a model without a baseline, capture that cannot be read).
"""

from __future__ import annotations

import argparse
import datetime
import re
import sys
from pathlib import Path

from foundation.command_help import ends_with_example
from foundation.lambda_code import drift
from provisioning import checks
from provisioning.aws import AwsClients
from provisioning.checks import AWS_ERRORS
from provisioning.naming import project_bucket
from watch.directory_store import DirectoryStore
from watch.drift_run import BAD_INPUT, RunRefused, baseline_places, run, stage_target
from watch.threshold_flags import add_threshold_flags, order_problem

DURATION = re.compile(r"(\d+)([mhd])")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}
# The thresholds it judges by: each a warn and an alert level.
KINDS = ("psi", "missing", "violations")


def duration(text: str) -> datetime.timedelta:
    match = DURATION.fullmatch(text.strip())
    if not match or int(match.group(1)) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration such as 30m, 24h or 7d")
    return datetime.timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def moment(text: str) -> datetime.datetime:
    try:
        value = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time (ISO 8601)") from None
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)


def share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1e6:
        raise argparse.ArgumentTypeError(f"{text!r} must be above 0")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m scripts.drift_report",
        description=__doc__.split("\n\n")[0],
        **ends_with_example(
            "python -m scripts.drift_report --stage dev --since 24h --html drift.html",
            __doc__.split("\n\n")[-1],
        ),
    )
    p.add_argument("--stage", required=True, help="the stage whose endpoint's capture to read")
    window = p.add_argument_group("the window (default: the last 24 hours)")
    window.add_argument("--since", type=duration, help="this long up to now: 30m, 24h, 7d")
    window.add_argument(
        "--from", dest="start", type=moment, help="from this time (ISO 8601, UTC if no zone)"
    )
    window.add_argument("--to", dest="end", type=moment, help="up to this time (default: now)")
    p.add_argument(
        "--capture",
        type=Path,
        metavar="DIR",
        help="read this folder (run_local --capture-dir DIR) instead of the stage's S3 capture",
    )
    p.add_argument("--html", type=Path, metavar="FILE", help="also write the report as HTML here")
    p.add_argument(
        "--baseline",
        type=Path,
        action="append",
        default=[],
        help="a baseline file, or a folder of them, to look in first (always looked in: the "
        "stage's, beside its signature, and build/)",
    )
    limits = p.add_argument_group("thresholds")
    add_threshold_flags(limits, KINDS, share)
    defaults = drift.Thresholds()
    limits.add_argument(
        "--alpha",
        type=share,
        help="a test's p-value below this warns too (default: tests are shown, not judged: over "
        "a day's traffic every small shift is significant)",
    )
    limits.add_argument(
        "--min-rows",
        type=int,
        default=defaults.min_rows,
        help=f"fewer rows than this: figures shown, not judged (default: {defaults.min_rows})",
    )
    p.add_argument(
        "--bucket", help="the capture's bucket (default: sagemaker-proxy-<account>-<region>)"
    )
    p.add_argument(
        "--region", help="AWS region (default: the stage's endpoint's, else AWS configuration)"
    )
    return p


def window_of(
    args: argparse.Namespace, now: datetime.datetime
) -> tuple[datetime.datetime, datetime.datetime]:
    if args.since and (args.start or args.end):
        raise RunRefused("give --since, or --from and --to, not both")
    end = args.end or now
    start = args.start or end - (args.since or datetime.timedelta(hours=24))
    if start >= end:
        raise RunRefused("the window ends before it starts (--from must come before --to)")
    return start, end


def thresholds_of(args: argparse.Namespace) -> drift.Thresholds:
    thresholds = drift.Thresholds(
        psi_warn=args.psi_warn,
        psi_alert=args.psi_alert,
        missing_warn=args.missing_warn,
        missing_alert=args.missing_alert,
        violations_warn=args.violations_warn,
        violations_alert=args.violations_alert,
        alpha=args.alpha,
        min_rows=args.min_rows,
    )
    problem = order_problem(thresholds, KINDS)
    if problem is not None:
        raise RunRefused(problem)
    return thresholds


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        start, end = window_of(args, datetime.datetime.now(datetime.UTC))
        thresholds = thresholds_of(args)
        target = stage_target(args.stage)
        if args.bucket and not checks.BUCKET.fullmatch(args.bucket):
            raise RunRefused(f"--bucket {args.bucket!r} is not an S3 bucket name")
        if args.stage == "local" and args.capture is None:
            raise RunRefused(
                "the local stage captures into a folder: pass --capture DIR (make run CAPTURE=DIR)"
            )
        if args.capture is not None and not args.capture.is_dir():
            raise RunRefused(f"--capture {args.capture}: no such folder")
    except RunRefused as error:
        print(f"drift_report: {error}", file=sys.stderr)
        return BAD_INPUT
    places = baseline_places(target, args.baseline)
    if args.capture is not None:
        return run(
            target,
            DirectoryStore(args.capture),
            places,
            thresholds,
            start,
            end,
            str(args.capture),
            args.html,
        )
    try:
        aws = AwsClients.create(args.region or target.region)
        bucket = args.bucket or project_bucket(
            str(aws.sts.get_caller_identity()["Account"]), aws.region
        )
        store = drift.S3Store(aws.s3, bucket)
        where = f"s3://{bucket}/{target.capture_prefix}/"
        return run(target, store, places, thresholds, start, end, where, args.html)
    except AWS_ERRORS as error:
        print(f"drift_report: cannot read the capture: {checks.one_line(error)}", file=sys.stderr)
        return BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
