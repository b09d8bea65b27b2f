"""Score a file of records by the model's signature, as the API would answer each one.

    python -m scripts.batch_score --input records.csv --output scored.csv [--id-column id]

CSV with a header (or JSON Lines, one record a line) in; the same format out, one row per valid
record in input order: the id columns, then the prediction (label and each class's probability,
or the value). A record the API would refuse goes to the rejects file (its line, its ids, the
API's field errors) and never to the model. Scored here with the serving image's own code.
Stopped anywhere, the same command resumes where the last checkpoint was; nothing is written
twice, and --output appears whole at the end. An s3:// input runs SageMaker Batch Transform on
a stage's model instead (see --help's AWS options).
"""

from __future__ import annotations

if __name__ == "__main__":
    # Before the imports below: foundation.interrupts and foundation.lean_start say why.
    from foundation import interrupts, lean_start

    interrupts.one_line_while_starting("batch_score")
    lean_start.skip_scikit_learn()

import argparse
import sys
from pathlib import Path

from artifacts.binding import BindingError, bound_signature
from batch.csv_chunks import CHUNK_BYTES
from batch.inputs import CSV, FORMATS, InputError, format_of
from batch.local_run import CHUNK_ROWS, BatchFiles, TooManyRejects, score_file
from batch.outputs import Output
from batch.scoring import BatchScorer
from batch.transform import MAX_PAYLOAD_MB, S3Location, TransformRefused, TransformRequest
from batch.transform_run import TransformFailed, label_job, run_transform
from foundation.command_help import ends_with_example
from foundation.interrupts import Interrupted, interruptible, stops_in_one_line
from foundation.lambda_code import answers
from foundation.lambda_code import signature as sig
from foundation.paths import CHALICE_CONFIG_DIR, MODEL_ARTIFACT
from provisioning import checks
from provisioning.api.preflight import StageTarget
from provisioning.aws import AwsClients
from provisioning.checks import AWS_ERRORS
from serving.model import XGBoostModel


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m scripts.batch_score",
        description=__doc__.split("\n\n")[0],
        **ends_with_example("python -m scripts.batch_score --input rows.csv --output scored.csv"),
    )
    p.add_argument("--input", help="the records: a local file or s3://bucket/key")
    p.add_argument("--output", help="where the scored records go")
    p.add_argument(
        "--id-column",
        action="append",
        default=[],
        metavar="NAME",
        help="a column (or JSON key) carried through to the output untouched, not sent to the "
        "model; repeat for several",
    )
    p.add_argument(
        "--rejects",
        type=Path,
        help="the rejected records, as JSON Lines (default: <output>.rejects.jsonl)",
    )
    p.add_argument(
        "--max-rejects",
        type=int,
        metavar="N",
        help="stop once more than N records are rejected (default: never stop)",
    )
    p.add_argument(
        "--format",
        choices=sorted(set(FORMATS.values())),
        help="the input's format (default: by its extension, .csv, .jsonl or .ndjson)",
    )
    p.add_argument(
        "--model",
        type=Path,
        default=MODEL_ARTIFACT,
        help="the artifact to score with (default: build/model.tar.gz)",
    )
    p.add_argument("--signature", type=Path, help="its signature (default: beside it)")
    p.add_argument(
        "--chunk-rows",
        type=int,
        default=CHUNK_ROWS,
        help=f"records scored and checkpointed at a time (default: {CHUNK_ROWS}; fewer where "
        f"a plain CSV's records take more than {CHUNK_BYTES >> 20} MB)",
    )
    p.add_argument(
        "--restart",
        action="store_true",
        help="start over, dropping an interrupted run's partial output",
    )
    aws = p.add_argument_group(
        "on AWS (an s3:// --input: SageMaker Batch Transform on the stage's model; the input is "
        "CSV without a header, the id columns first, then the features in the model's order)"
    )
    aws.add_argument("--stage", default="dev", help="whose endpoint's model scores (default: dev)")
    aws.add_argument("--instance-type", default="ml.m5.large", help="default: ml.m5.large")
    aws.add_argument("--instance-count", type=int, default=1, help="default: 1")
    aws.add_argument(
        "--max-payload-mb",
        type=int,
        default=MAX_PAYLOAD_MB,
        help=f"records sent to the model at a time, in MB (default and most: {MAX_PAYLOAD_MB})",
    )
    aws.add_argument("--kms-key", help="a KMS key ARN for the output and the instances' volumes")
    aws.add_argument("--region", help="default: the region the stage's endpoint is in")
    aws.add_argument(
        "--chalice-config-dir", type=Path, default=CHALICE_CONFIG_DIR, help=argparse.SUPPRESS
    )
    aws.add_argument("--wait-minutes", type=float, default=24 * 60, help="longest wait for the job")
    aws.add_argument(
        "--label-job",
        metavar="NAME",
        help="instead of scoring: label a completed job's output (one the stage's batch "
        "functions started), each <object>.out into <object>.scored.csv beside it; name its "
        "id columns with --id-column",
    )
    return p


@stops_in_one_line(lambda stop: f"batch_score: {stop.name}: stopped", to_stderr=True)
def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.label_job:
        return label_a_job(args)
    if not args.input or not args.output:
        parser().error("--input and --output are both needed (or --label-job NAME)")
    if args.input.startswith("s3://") or args.output.startswith("s3://"):
        return score_on_aws(args)
    return score_locally(args)


def label_a_job(args: argparse.Namespace) -> int:
    try:
        target = StageTarget.load(args.stage, args.chalice_config_dir)
        assert target.signature_path is not None
        signature = sig.read_signature(target.signature_path)
        Output(CSV, signature, args.id_column)
        several_outputs_refused(signature, CSV)
    except (OSError, ValueError, sig.SignatureError) as error:
        print(f"batch_score: {error}", file=sys.stderr)
        return 2
    try:
        aws = AwsClients.create(args.region or target.region)
        labelled = label_job(aws, args.label_job, signature, args.id_column)
    except (TransformFailed, answers.BadAnswer) as error:
        print(f"batch_score: {error}", file=sys.stderr)
        return 1
    except AWS_ERRORS as error:
        print(f"batch_score: {checks.one_line(error)}", file=sys.stderr)
        return 1
    return _scored(labelled)


def score_on_aws(args: argparse.Namespace) -> int:
    def refuse(message: str) -> int:
        print(f"batch_score: {message}", file=sys.stderr)
        return 2

    local_only = [flag for flag, given in (("--rejects", args.rejects),
                  ("--max-rejects", args.max_rejects is not None), ("--restart", args.restart),
                  ("--signature", args.signature)) if given]  # fmt: skip
    if local_only:
        return refuse(f"{local_only[0]} is for local files; a transform checks a sample first")
    try:
        request = TransformRequest(
            input=S3Location.parse(args.input, "--input"),
            output=S3Location.parse(args.output, "--output"),
            id_columns=tuple(args.id_column),
            instance_type=args.instance_type,
            instance_count=args.instance_count,
            max_payload_mb=args.max_payload_mb,
            kms_key=args.kms_key,
        )
        target = StageTarget.load(args.stage, args.chalice_config_dir)
    except TransformRefused as error:
        return refuse(str(error))
    except (OSError, ValueError) as error:
        return refuse(f"{args.chalice_config_dir / 'config.json'}: {error}")
    problem = request.problem() or (
        f"stage {args.stage} calls no endpoint: deploy one with "
        f"`python -m scripts.deploy_endpoint --stage {args.stage} ...`"
        if not target.endpoint_name or target.signature_path is None
        else None
    )
    if problem:
        return refuse(problem)
    assert target.signature_path is not None
    try:
        signature = sig.read_signature(target.signature_path)
        Output(CSV, signature, args.id_column)
        several_outputs_refused(signature, CSV)
    except (sig.SignatureError, ValueError) as error:
        return refuse(str(error))
    try:
        with interruptible():
            aws = AwsClients.create(args.region or target.region)
            labelled = run_transform(
                aws, request, target.endpoint_name, signature, wait_minutes=args.wait_minutes
            )
    except TransformRefused as error:
        return refuse(f"refused, nothing started: {error}")
    except TransformFailed as error:
        print(f"batch_score: failed: {error}", file=sys.stderr)
        return 1
    except Interrupted as stop:
        print(f"batch_score: {stop.name}: stopped", file=sys.stderr)
        return stop.exit_code
    except AWS_ERRORS as error:
        print(f"batch_score: {checks.one_line(error)}", file=sys.stderr)
        return 1
    return _scored(labelled)


def several_outputs_refused(signature: sig.Signature, kind: str) -> None:
    """A Batch Transform's output is labelled from the container's own lines (batch
    .transform_output), which read one number or one list of class probabilities a row; a model
    of several outputs per record (#33) is refused there (ValueError) rather than labelled
    wrong. Local scoring writes them, a column each."""
    if signature.outputs and kind == CSV:
        what = "quantiles" if signature.quantiles else "targets"
        raise ValueError(
            f"the model answers {len(signature.outputs)} {what} per record "
            f"({', '.join(signature.outputs)}), which a Batch Transform's output is not "
            "labelled for yet: score the file locally (without --stage), or use the API"
        )


def _scored(labelled: list[str]) -> int:
    for url in labelled:
        print(f"scored: {url}")
    return 0


def score_locally(args: argparse.Namespace) -> int:
    def refuse(message: str) -> int:
        print(f"batch_score: {message}", file=sys.stderr)
        return 2

    if args.chunk_rows < 1 or (args.max_rejects is not None and args.max_rejects < 0):
        return refuse("--chunk-rows must be 1 or more, --max-rejects 0 or more")
    kind = args.format or format_of(args.input)
    if kind is None:
        return refuse(f"{args.input}: say its format with --format (csv or jsonl)")
    output = Path(args.output)
    files = BatchFiles(
        Path(args.input), output, args.rejects or output.with_name(output.name + ".rejects.jsonl")
    )
    if not args.model.is_file():
        return refuse(f"{args.model} not found (make one with `make model` or import_model)")
    try:
        signature = bound_signature(args.model, args.signature)
        model = XGBoostModel.from_artifact(args.model)
    except (BindingError, ValueError) as error:
        return refuse(f"refused: {error}")
    try:
        with interruptible():
            summary = score_file(
                files,
                signature,
                BatchScorer(signature, model),
                kind,
                args.id_column,
                chunk_rows=args.chunk_rows,
                max_rejects=args.max_rejects,
                restart=args.restart,
            )
    except (InputError, ValueError) as error:
        return refuse(str(error))
    except TooManyRejects as error:
        print(f"batch_score: stopped: {error}", file=sys.stderr)
        return 1
    except answers.BadAnswer as error:  # a model answering outside its objective's shape
        print(f"batch_score: stopped: the model's answer: {error}", file=sys.stderr)
        return 1
    except Interrupted as stop:
        print(
            f"batch_score: {stop.name}: stopped; what was scored is kept: rerun the same "
            "command to resume",
            file=sys.stderr,
        )
        return stop.exit_code
    resumed = f" (resumed after line {summary.resumed_at_line})" if summary.resumed_at_line else ""
    print(
        f"scored {summary.rows:,} records{resumed}, rejected {summary.rejected:,}, "
        f"{summary.rows_per_second:,.0f} records/s this run"
    )
    print(f"output:  {files.output}")
    print(f"rejects: {files.rejects}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
