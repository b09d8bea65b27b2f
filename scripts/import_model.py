"""Bring your own XGBoost model: check it, infer its signature from an example, and write the
artifact the built-in container loads and the signature the proxy validates by.

    python -m scripts.import_model --model model.ubj --example example.csv --labels no,yes
    python -m scripts.import_model --model shop.ubj --example shop.csv \
        --categories color=red,green,blue --integer visits
    python -m scripts.import_model --model prices.ubj --example houses.csv --targets price,rent

Prints the signature it is about to write (a line per feature), then writes build/model.tar.gz (exactly one member, xgboost-model: the model's own bytes) and
build/model.signature.json (features, their types, which may be missing, the objective, the
class labels or the several outputs' names, examples with the model's own answers), bound to the
artifact by its sha256.
Refuses, writing nothing, what the proxy could not serve faithfully.
"""

from __future__ import annotations

if __name__ == "__main__":
    # Before anything imports XGBoost: foundation.lean_start says why.
    from foundation.lean_start import skip_scikit_learn

    skip_scikit_learn()

import argparse
import sys
from pathlib import Path

from artifacts.baseline_files import baseline_path_for
from artifacts.categories import CategoriesError, given_categories
from artifacts.importing import (
    Imported,
    ImportRefused,
    OverwriteRefused,
    Typing,
    prepare_import,
    write_import,
)
from artifacts.packaging import ARTIFACT
from artifacts.signature_table import signature_table
from foundation.command_help import ends_with_example
from foundation.images import CONTAINER_VERSIONS, DEFAULT_XGBOOST_VERSION
from foundation.lambda_code import settings
from foundation.lambda_code import signature as sig
from provisioning.body_limit import batch_body_bytes, most_records_within

# Below this many rows a baseline's bins say little: the import says so.
FEW_BASELINE_ROWS = 1000


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m scripts.import_model",
        description=__doc__.split("\n\n")[0],
        **ends_with_example(
            "python -m scripts.import_model --model my-model.ubj --example example.csv --labels no,yes",
            "Then: make run (serves it locally), or scripts.deploy_endpoint (to SageMaker).",
        ),
    )
    p.add_argument(
        "--model",
        type=Path,
        required=True,
        help="the model: a file written by Booster.save_model (JSON or UBJSON), or a SageMaker "
        "model.tar.gz holding xgboost-model",
    )
    p.add_argument(
        "--example",
        type=Path,
        required=True,
        help="a CSV of real input: a header naming the features (the booster's own names, in "
        "any order, when it has them; else in the model's order) and some rows. The booster's "
        "own feature types come first (int: integer, float: number, c: categorical); else a "
        "column of true/false is boolean and any other a number (see --integer); an empty cell "
        "makes the feature optional (left out or null, read as missing). A categorical "
        "feature's cells hold its categories' names",
    )
    p.add_argument(
        "--categories",
        action="append",
        default=[],
        metavar="FEATURE=NAME,NAME,...",
        help="a categorical feature's categories, in the order the model codes them (code 0 "
        "first: pandas' Series.cat.categories of the training data); one flag per feature. "
        "Every categorical feature of the model needs its categories, and no other feature "
        "takes any. Names with commas: use --categories-file",
    )
    p.add_argument(
        "--categories-file",
        type=Path,
        metavar="FILE",
        help='a JSON file of categories, {"color": ["red", "green", "blue"], ...}: each '
        "categorical feature's names in code order (beside --categories, for other features)",
    )
    p.add_argument(
        "--integer",
        action="append",
        default=[],
        metavar="FEATURE,...",
        help="features that take whole numbers only (a column of 20, 21, 19 is a number "
        "otherwise, so 20.5 is accepted); for a model that records no type of its own",
    )
    labels = p.add_argument_group("class labels (a classifier needs one of the two)")
    labels.add_argument(
        "--labels",
        help="class names in index order, comma-separated (binary: negative,positive); "
        "required for a classifier, refused for a model that predicts a value",
    )
    labels.add_argument(
        "--labels-file",
        type=Path,
        metavar="FILE",
        help="class names in index order, one a line, kept exactly (spaces and commas "
        "included; a final newline ends the last, a CRLF line's CR is its ending)",
    )
    p.add_argument(
        "--targets",
        metavar="NAME,...",
        help="a multi-target regression's target names in the model's order, comma-separated "
        '(default: target_0,target_1,...); the API answers {"values": {name: number}}. A '
        "quantile regression of several quantile_alpha needs none: its answer is "
        '{"quantiles": {"0.1": number, ...}}, by the levels the model records',
    )
    p.add_argument(
        "--baseline",
        type=Path,
        metavar="DATA.csv",
        help="data to make the drift baseline of (default: the example): a CSV written as the "
        "example is, with more rows, like the traffic the model will see (a few thousand); "
        "other columns, the label say, are left out. scripts.drift_report compares the "
        "endpoint's capture with it",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="replace an artifact or signature that belongs to another model (exit 1 without)",
    )
    p.add_argument(
        "--output",
        type=Path,
        default=ARTIFACT,
        help="the artifact to write; its signature goes beside it as <name>.signature.json "
        "(default: build/model.tar.gz)",
    )
    p.add_argument(
        "--xgboost-version",
        default=DEFAULT_XGBOOST_VERSION,
        choices=sorted(CONTAINER_VERSIONS),
        help=f"the built-in container version that will serve it; a model saved by a newer "
        f"XGBoost than that container runs is refused (default: {DEFAULT_XGBOOST_VERSION})",
    )
    return p


def labels_from(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(label.strip() for label in text.split(","))


def labels_from_file(path: Path) -> tuple[str, ...]:
    """One label a line, exactly; a final newline does not make an empty label."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ImportRefused(f"--labels-file {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ImportRefused(f"--labels-file {path}: not a readable UTF-8 file ({error})") from None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return tuple(line.removesuffix("\r") for line in lines)


def typing_from(args: argparse.Namespace) -> Typing:
    try:
        categories = given_categories(args.categories, args.categories_file)
    except CategoriesError as error:
        raise ImportRefused(str(error)) from None
    integers = frozenset(name for names in args.integer for name in names.split(",") if name)
    return Typing(categories=categories, integers=integers)


def prepared(args: argparse.Namespace) -> Imported:
    """The artifact and signature the arguments ask for, written nowhere yet."""
    if args.labels is not None and args.labels_file is not None:
        raise ImportRefused("give the class labels with --labels or --labels-file, not both")
    labels = labels_from_file(args.labels_file) if args.labels_file else labels_from(args.labels)
    targets = tuple(args.targets.split(",")) if args.targets is not None else None
    return prepare_import(
        args.model,
        args.example,
        labels,
        args.output,
        args.xgboost_version,
        typing_from(args),
        targets,
        baseline_data=args.baseline,
    )


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not args.output.name.endswith(".tar.gz"):
        print(f"import_model: --output {args.output} must name a .tar.gz", file=sys.stderr)
        return 2
    try:
        imported = prepared(args)
    except ImportRefused as error:
        print(f"import_model: refused: {error}", file=sys.stderr)
        return 2
    signature = imported.signature
    print(f"model:     {signature.objective}, {model_kind(signature)}")
    print(f"features:  {len(signature.features)}")
    for line in signature_table(signature.features):
        print(f"  {line}")
    try:
        write_import(imported, args.force)
    except OverwriteRefused as error:
        print(f"import_model: {error}", file=sys.stderr)
        return 1
    print(f"artifact:  {imported.artifact} sha256={signature.artifact_sha256}")
    print(f"signature: {imported.signature_path}")
    if imported.baseline is not None:
        source = args.baseline or args.example
        print(
            f"baseline:  {baseline_path_for(imported.signature_path)} ({imported.baseline.rows} rows of {source})"
        )
        if imported.baseline.rows < FEW_BASELINE_ROWS:
            print("           few rows for a baseline: pass --baseline DATA.csv with more")
    answer = signature.examples[0]["score"] if signature.examples else None
    print(f"example:   first row -> {answer!r} (what the smoke test expects back)")
    note = batch_note(signature)
    if note:
        print(f"batches:   {note}")
    print(f"next:      python -m scripts.run_local --model {imported.artifact}")
    return 0


def model_kind(signature: sig.Signature) -> str:
    """What the model answers per row, in words."""
    if signature.is_classifier:
        return f"classifier of {len(signature.labels)} classes ({', '.join(signature.labels)})"
    if signature.quantiles:
        return f"a model that predicts the quantiles {', '.join(signature.outputs)}"
    if signature.targets:
        names = ", ".join(signature.targets)
        return f"a model that predicts {len(signature.targets)} targets ({names})"
    return "a model that predicts a value"


def batch_note(signature: sig.Signature) -> str | None:
    """What to change when a full batch of this model's records (its examples, sent as a
    browser's JSON.stringify sends them) does not fit the default body limit; None when it fits."""
    defaults = settings.Settings(endpoint_name="")
    full = batch_body_bytes(signature, defaults.max_batch_size)
    if full is None or full <= defaults.max_body_bytes:
        return None
    fits = most_records_within(signature, defaults.max_body_bytes, defaults.max_batch_size)
    return (
        f"{fits} records fit the default body limit ({settings.MAX_BODY_BYTES}="
        f"{defaults.max_body_bytes}); for batches of {defaults.max_batch_size} set "
        f"{settings.MAX_BODY_BYTES} to at least {full} in the stage's variables"
    )


if __name__ == "__main__":
    sys.exit(main())
