"""Train a model with SageMaker's built-in XGBoost algorithm: from a CSV to a registered,
servable version, in a SageMaker training job or (--local) the same training on this machine.

    python -m scripts.train_job --data flowers.csv --label species --group flowers \\
        --hyperparameters num_round=100,max_depth=4
    python -m scripts.train_job --data flowers.csv --label species --local \\
        --hyperparameters num_round=100

The CSV has a header; the label column may hold text (classes, encoded 0..k-1 in sorted order)
or numbers. The data is split (stratified for classes, seeded) unless --validation names a file,
written as the built-in algorithm reads CSV (label first, no header) and, for a job, uploaded
under a prefix named by its content. Hyperparameters are checked as the container checks them
before anything is made. The model comes back as build/model.tar.gz with its signature, and
--group registers it in the Model Registry.
"""

from __future__ import annotations

if __name__ == "__main__":
    # Before the imports below: a signal in them is one line too (foundation.interrupts says why).
    from foundation.interrupts import one_line_while_starting

    one_line_while_starting("train_job")

import argparse
import sys
from pathlib import Path

from artifacts.importing import ImportRefused
from foundation.command_help import ends_with_example
from foundation.interrupts import run_again_on_signal
from foundation.paths import MODEL_ARTIFACT
from provisioning import checks
from provisioning.model_registry import GROUP_NAME
from scripts import register_model
from training import hyperparameters as hp
from training.dataset import DataRefused
from training.local import TrainingRefused
from training.local_run import run_local
from training.options import Options
from training.publish import Published
from training.reported import Reported

PROG = "train_job"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m scripts.train_job",
        description=__doc__.split("\n\n")[0],
        **ends_with_example(
            "python -m scripts.train_job --data customers.csv --label churned --local --hyperparameters num_round=200,max_depth=5",
            "Then: python -m scripts.model_versions approve ..., and "
            "python -m scripts.deploy_endpoint --model-package-group GROUP ...",
        ),
    )
    data = p.add_argument_group("data")
    data.add_argument("--data", help="the CSV (with a header): a file, or s3://bucket/key")
    data.add_argument("--label", help="the column the model predicts")
    data.add_argument(
        "--validation",
        help="a validation CSV with the same header (file or s3://); default: a split of --data",
    )
    data.add_argument(
        "--validation-fraction",
        type=float,
        default=0.2,
        help="the share of --data held out for validation (default: 0.2)",
    )
    data.add_argument(
        "--seed",
        type=int,
        default=42,
        help="the split's seed, recorded with the model (default: 42)",
    )
    training = p.add_argument_group("training")
    training.add_argument(
        "--hyperparameters",
        default="",
        metavar="K=V,...",
        help="the built-in algorithm's hyperparameters, e.g. num_round=100,max_depth=4,"
        "eval_metric=mlogloss (num_round is required; objective and num_class are inferred "
        "from the label when left out)",
    )
    training.add_argument(
        "--local",
        action="store_true",
        help="train on this machine as the container would: no AWS (unless --group), no Docker",
    )
    training.add_argument("--instance-type", default="ml.m5.large", help="default: ml.m5.large")
    training.add_argument("--instance-count", type=int, default=1, help="default: 1")
    training.add_argument("--max-runtime", type=int, default=3600, help="seconds (default: 3600)")
    training.add_argument(
        "--spot",
        action="store_true",
        help="managed spot training, with checkpoints the container resumes from",
    )
    training.add_argument(
        "--max-wait",
        type=int,
        help="spot: seconds to wait for capacity and train, at least --max-runtime "
        "(default: twice --max-runtime)",
    )
    training.add_argument(
        "--attach", metavar="JOB", help="follow a job started earlier, then import it"
    )
    tuning = p.add_argument_group("tuning")
    tuning.add_argument(
        "--tune",
        metavar="NAME=MIN:MAX,...",
        help="tune these hyperparameters (eta=0.01:0.3,max_depth=3:10; a|b for categories)",
    )
    tuning.add_argument(
        "--objective-metric", help="what tuning optimises, e.g. validation:mlogloss"
    )
    tuning.add_argument(
        "--max-jobs", type=int, default=10, help="training jobs in all (default: 10)"
    )
    tuning.add_argument(
        "--max-parallel", type=int, default=2, help="training jobs at once (default: 2)"
    )
    result = p.add_argument_group("result")
    result.add_argument(
        "--group", help="the Model Registry's model package group to register the model in"
    )
    result.add_argument("--approve", action="store_true", help="register it Approved")
    result.add_argument(
        "--output", type=Path, default=MODEL_ARTIFACT, help="default: build/model.tar.gz"
    )
    result.add_argument(
        "--force", action="store_true", help="replace an artifact that is another model's"
    )
    aws = p.add_argument_group("AWS")
    aws.add_argument("--region", help="default: from the AWS configuration")
    aws.add_argument("--bucket", help="default: sagemaker-proxy-<account>-<region>")
    aws.add_argument("--kms-key", help="a KMS key id or ARN for the data, model and volume")
    return p


def problem_with(args: argparse.Namespace) -> str | None:
    """What is wrong with the command line alone, or None."""
    if args.attach is None and (not args.data or not args.label):
        return "--data and --label are required (or --attach JOB)"
    if args.attach is not None and args.local:
        return "--attach follows a SageMaker job; --local trains here"
    if not 0 < args.validation_fraction < 1:
        return f"--validation-fraction must be between 0 and 1, not {args.validation_fraction}"
    if args.group is not None and not GROUP_NAME.fullmatch(args.group):
        return f"--group {args.group!r} is not a model package group name"
    if not args.local and args.attach is None and args.group is None:
        return "--group is required for a SageMaker job (its model is registered there)"
    if args.bucket and not checks.BUCKET.fullmatch(args.bucket):
        return f"--bucket {args.bucket!r} is not an S3 bucket name"
    if not args.output.name.endswith(".tar.gz"):
        return f"--output {args.output} must name a .tar.gz"
    if args.tune and not args.objective_metric:
        return "--tune needs --objective-metric (e.g. validation:mlogloss)"
    if args.objective_metric and not args.tune:
        return "--objective-metric is for --tune"
    if args.max_jobs < 1 or not 1 <= args.max_parallel <= args.max_jobs:
        return "--max-jobs must be at least 1, and --max-parallel between 1 and --max-jobs"
    if args.max_wait is not None and not args.spot:
        return "--max-wait is for --spot"
    return None


@run_again_on_signal(PROG)
def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    problem = problem_with(args)
    options = None
    if problem is None:
        try:
            options = Options.from_args(args)
        except (hp.HyperparameterError, ValueError) as error:
            problem = str(error)
    if problem or options is None:
        print(f"{PROG}: {problem}", file=sys.stderr)
        return 2
    try:
        if options.local:
            published = run_local(options)
        else:
            from training.in_sagemaker import run_in_sagemaker

            published = run_in_sagemaker(options)
    except (DataRefused, hp.HyperparameterError, TrainingRefused, ImportRefused) as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 2
    except FileExistsError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return 1
    except Reported as ended:
        return ended.exit_code
    if options.group is None:
        print(f"next:      python -m scripts.run_local --model {published.artifact}")
        print(
            f"or:        python -m scripts.register_model --group NAME --model {published.artifact}"
        )
        return 0
    return register(options, published)


def register(options: Options, published: Published) -> int:
    """The version in the Model Registry, with the training's metrics, as register_model adds one."""
    assert options.group is not None
    flags = ["--group", options.group, "--model", str(published.artifact)]
    for name, value in sorted(published.metrics.items()):
        flags += ["--metric", f"{name}={value!r}"]
    flags += ["--description", f"trained {published.trained_by}"[:1000]]
    flags += ["--approve"] if options.approve else []
    flags += ["--region", options.region] if options.region else []
    flags += ["--bucket", options.bucket] if options.bucket else []
    return register_model.main(flags)


if __name__ == "__main__":
    sys.exit(main())
