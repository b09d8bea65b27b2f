"""Make the drift baseline of a model you have: its artifact, its signature and data like the
traffic it will see (scripts.drift_report compares the endpoint's capture with it).

    python -m scripts.make_baseline --data DATA.csv [--model build/model.tar.gz]

DATA.csv: a header naming the model's features (in any order; other columns, the label say, are
left out) and rows written as the import's --example is (true/false, category names, an empty
cell for a missing value). Writes <name>.baseline.json beside the artifact's signature, and the
same in Model Monitor's formats, <name>.statistics.json and <name>.constraints.json. Training
(train_job, train_model) and import_model write one themselves.
"""

from __future__ import annotations

if __name__ == "__main__":
    # Before anything imports XGBoost: foundation.lean_start says why.
    from foundation.lean_start import skip_scikit_learn

    skip_scikit_learn()

import argparse
import sys
from pathlib import Path

from artifacts.baseline_data import BaselineDataError, read_csv_rows
from artifacts.baseline_files import baseline_files, baseline_path_for, model_monitor_paths_for
from artifacts.baseline_maker import baseline_for
from artifacts.binding import BindingError, bound_signature
from artifacts.packaging import signature_path_for
from foundation.command_help import ends_with_example
from foundation.files import write_atomically
from foundation.paths import MODEL_ARTIFACT
from serving.model import XGBoostModel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        **ends_with_example(
            "python -m scripts.make_baseline --model build/model.tar.gz --data traffic-like.csv"
        ),
        prog="python -m scripts.make_baseline",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument("--data", type=Path, required=True, help="a CSV of the model's input")
    parser.add_argument(
        "--model", type=Path, default=MODEL_ARTIFACT, help="default: build/model.tar.gz"
    )
    parser.add_argument("--signature", type=Path, help="its signature (default: beside it)")
    args = parser.parse_args(argv)
    try:
        signature = bound_signature(args.model, args.signature)
        rows = read_csv_rows(args.data, signature)
    except (BindingError, BaselineDataError) as error:
        print(f"make_baseline: {error}", file=sys.stderr)
        return 2
    baseline = baseline_for(signature, XGBoostModel.from_artifact(args.model), rows, args.data.name)
    beside = args.signature or signature_path_for(args.model)
    for path, content in baseline_files(baseline, beside).items():
        write_atomically(path, content)
    print(f"baseline:      {baseline_path_for(beside)} ({baseline.rows} rows of {args.data})")
    statistics, constraints = model_monitor_paths_for(beside)
    print(f"model monitor: {statistics}, {constraints}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
