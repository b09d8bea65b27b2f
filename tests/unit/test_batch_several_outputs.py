"""Local batch scoring of a model of several outputs (#33): JSON Lines carry the API's prediction
by name, a CSV a column per quantile level or target (the same text on the vectorised path and
the record-at-a-time one), every number XGBoost's own; a Batch Transform of such a model is
refused in one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from batch.outputs import prediction_columns
from scripts import batch_score, import_model
from tests.several_outputs import train_multi_target_model, train_quantile_model, xgboost_rows

KINDS = {
    "quantiles": (train_quantile_model, [], ("0.1", "0.5", "0.9"), "quantile_"),
    "targets": (train_multi_target_model, ["--targets", "price,rent"], ("price", "rent"), "value_"),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_json_lines_and_csv_hold_every_output_by_name(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an imported model of several outputs and records with an id, as JSON Lines, as a
    # plain CSV and as the same CSV fully quoted (which is read a record at a time)
    train, flags, names, prefix = KINDS[kind]
    own = train(tmp_path / "theirs")
    artifact = tmp_path / "model.tar.gz"
    assert import_model.main(["--model", str(own.model), "--example", str(own.example),
                              "--output", str(artifact), *flags]) == 0  # fmt: skip
    records = [{"id": n, **own.record(row)} for n, row in enumerate(own.rows[:5])]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    features = list(own.names)
    header = ",".join(["id", *features])
    plain = [[str(r["id"]), *(repr(r[name]) for name in features)] for r in records]
    (tmp_path / "in.csv").write_text("\n".join([header, *map(",".join, plain)]) + "\n")
    quoted = [",".join(f'"{cell}"' for cell in row) for row in plain]
    (tmp_path / "quoted.csv").write_text("\n".join([header, *quoted]) + "\n")
    capsys.readouterr()
    common = ["--model", str(artifact), "--id-column", "id"]
    # When each is scored
    for name in ("in.jsonl", "in.csv", "quoted.csv"):
        output = tmp_path / name.replace("in.", "out.").replace("quoted.", "out-quoted.")
        assert batch_score.main(["--input", str(tmp_path / name), "--output", str(output),
                                 *common]) == 0, capsys.readouterr().err  # fmt: skip
    # Then JSON Lines hold XGBoost's own outputs by name, after the id
    expected = xgboost_rows(own, own.rows[:5])
    scored = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert scored == [
        {"id": n, kind if kind == "quantiles" else "values": dict(zip(names, row, strict=True))}
        for n, row in enumerate(expected)
    ]
    # And the CSV a column per output, each number's repr, alike on both paths
    columns = [f"{prefix}{name}" for name in names]
    lines = [",".join(["id", *columns])] + [
        ",".join([str(n), *(repr(float(np.float32(v))) for v in row)])
        for n, row in enumerate(expected)
    ]
    assert (tmp_path / "out.csv").read_text() == "\n".join(lines) + "\n"
    assert (tmp_path / "out-quoted.csv").read_text() == (tmp_path / "out.csv").read_text()


def test_the_columns_follow_the_signatures_order(tmp_path: Path) -> None:
    own = train_multi_target_model(tmp_path / "theirs")
    artifact = tmp_path / "model.tar.gz"
    assert import_model.main(["--model", str(own.model), "--example", str(own.example),
                              "--output", str(artifact), "--targets", "rent,price"]) == 0  # fmt: skip
    signature = json.loads((tmp_path / "model.signature.json").read_text())
    from foundation.lambda_code import signature as sig

    read = sig.Signature.from_json(signature)
    assert prediction_columns(read) == ["value_rent", "value_price"]


def test_a_batch_transform_of_several_outputs_is_refused_in_one_line() -> None:
    from dataclasses import replace

    from tests.signatures import signature_for

    quantiles = replace(signature_for("reg:quantileerror"), quantiles=(0.1, 0.9))
    with pytest.raises(ValueError, match="score the file locally"):
        batch_score.several_outputs_refused(quantiles, "csv")
