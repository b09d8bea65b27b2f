"""What a training run was asked to do, checked as far as the command line alone allows."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from training import hyperparameters as hp

S3_SCHEME = "s3://"


@dataclass(frozen=True)
class Options:
    data: str | None
    label: str | None
    validation: str | None
    fraction: float
    seed: int
    hyperparameters: dict[str, str]
    local: bool
    instance_type: str
    instance_count: int
    max_runtime: int
    spot: bool
    max_wait: int | None
    attach: str | None
    tune: str | None
    objective_metric: str | None
    max_jobs: int
    max_parallel: int
    group: str | None
    approve: bool
    output: Path
    force: bool
    region: str | None
    bucket: str | None
    kms_key: str | None

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Options:
        """HyperparameterError or ValueError, one line, for what no AWS call is needed to see."""
        given = hp.parse_pairs(args.hyperparameters)
        if args.tune:
            hp.tuning_ranges(args.tune, given)
        max_wait = args.max_wait
        if args.spot and max_wait is None:
            max_wait = 2 * args.max_runtime
        if not args.local:
            from training.aws_job import check_job_settings

            problem = check_job_settings(
                args.instance_type, args.instance_count, args.max_runtime, max_wait
            )
            if problem:
                raise ValueError(problem)
        return cls(
            data=args.data,
            label=args.label,
            validation=args.validation,
            fraction=args.validation_fraction,
            seed=args.seed,
            hyperparameters=given,
            local=args.local,
            instance_type=args.instance_type,
            instance_count=args.instance_count,
            max_runtime=args.max_runtime,
            spot=args.spot,
            max_wait=max_wait,
            attach=args.attach,
            tune=args.tune,
            objective_metric=args.objective_metric,
            max_jobs=args.max_jobs,
            max_parallel=args.max_parallel,
            group=args.group,
            approve=args.approve,
            output=args.output,
            force=args.force,
            region=args.region,
            bucket=args.bucket,
            kms_key=args.kms_key,
        )

    @property
    def files(self) -> list[str]:
        return [name for name in (self.data, self.validation) if name]

    @property
    def reads_s3(self) -> bool:
        return any(name.startswith(S3_SCHEME) for name in self.files)
