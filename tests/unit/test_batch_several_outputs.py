"""Local batch scoring of a model of several outputs (#33): JSON Lines carries the API's
prediction by name; a CSV of scores, which has no columns for them yet, is refused in one line
with nothing written, never filled with wrong cells."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scripts import batch_score, import_model
from tests.several_outputs import train_quantile_model, xgboost_rows


def test_json_lines_are_scored_by_name_and_a_csv_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an imported quantile model and records with an id, as JSON Lines and as CSV
    own = train_quantile_model(tmp_path / "theirs")
    artifact = tmp_path / "model.tar.gz"
    assert import_model.main(["--model", str(own.model), "--example", str(own.example),
                              "--output", str(artifact)]) == 0  # fmt: skip
    records = [{"id": n, **own.record(row)} for n, row in enumerate(own.rows[:5])]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    names = list(own.names)
    rows = [",".join(["id", *names])] + [
        ",".join([str(r["id"]), *(repr(r[name]) for name in names)]) for r in records
    ]
    (tmp_path / "in.csv").write_text("\n".join(rows) + "\n")
    capsys.readouterr()
    common = ["--model", str(artifact), "--id-column", "id"]
    # When both are scored
    jsonl = batch_score.main(
        ["--input", str(tmp_path / "in.jsonl"), "--output", str(tmp_path / "out.jsonl"), *common]
    )
    refused = batch_score.main(
        ["--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "out.csv"), *common]
    )
    err = capsys.readouterr().err
    # Then JSON Lines hold XGBoost's own quantiles by level, after the id
    assert jsonl == 0
    scored = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    expected = [
        {"id": n, "quantiles": dict(zip(("0.1", "0.5", "0.9"), row, strict=True))}
        for n, row in enumerate(xgboost_rows(own, own.rows[:5]))
    ]
    assert scored == expected
    # And the CSV is refused in one line, nothing written
    assert refused == 2
    assert err.count("\n") == 1
    assert "the model answers 3 quantiles per record (0.1, 0.5, 0.9)" in err
    assert not (tmp_path / "out.csv").exists()
    assert not list(tmp_path.glob("out.csv*"))
