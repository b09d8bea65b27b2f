"""A Batch Transform's output as the container really writes it: the stand-in's serving code
under SAGEMAKER_BATCH (a list per row for class probabilities, serve.py:240-242 at v3.0-5),
joined to the ids as JoinSource Input joins them, is labelled exactly as the API labels the same
rows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from werkzeug.test import EnvironBuilder

from artifacts.importing import import_model
from batch.transform_output import labelled_lines
from bench.own_models import train_own_model
from foundation.lambda_code import answers
from serving.invocations import CSV, invoke
from serving.model import XGBoostModel


def answered(model: XGBoostModel, body: bytes, batch: bool, monkeypatch: pytest.MonkeyPatch) -> str:
    request = EnvironBuilder(
        method="POST", data=body, content_type="text/csv", headers={"Accept": "text/csv"}
    ).get_request()
    with monkeypatch.context() as patched:
        if batch:
            patched.setenv("SAGEMAKER_BATCH", "true")
        else:
            patched.delenv("SAGEMAKER_BATCH", raising=False)
        return invoke(model, request, frozenset({CSV})).get_data(as_text=True)


@pytest.mark.parametrize("objective", ["multi:softprob", "binary:logistic", "reg:squarederror"])
def test_the_transform_form_is_labelled_as_the_api_labels_the_rows(
    objective: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a model of the objective, imported, and rows the model has not seen
    own = train_own_model(objective, tmp_path / "theirs")
    labels = ",".join(own.labels) if own.labels else None
    imported = import_model(
        own.model, own.example, tuple(labels.split(",")) if labels else None, tmp_path / "m.tar.gz"
    )
    model = XGBoostModel.from_artifact(imported.artifact)
    rows = np.nan_to_num(own.rows[:12], nan=0.0)
    body = "\n".join(",".join(repr(float(v)) for v in row) for row in rows).encode()
    # When the container answers as in a transform job, and SageMaker joins the ids
    form = answered(model, body, batch=True, monkeypatch=monkeypatch)
    if objective == "multi:softprob":
        assert form.splitlines()[0].startswith("[")  # str() of a list, not CSV cells
    lines = [f"id{i},{line}".encode() for i, line in enumerate(form.splitlines())]
    # Then the labelled file has the API's label for each row's own prediction
    labelled = b"".join(labelled_lines(iter(lines), imported.signature, ["id"])).decode()
    header, *cells = labelled.splitlines()
    scores = model.predict_csv(body).tolist()
    expected = answers.AnswerReader(imported.signature).label(scores)
    assert len(cells) == len(expected) == 12
    for line, prediction in zip(cells, expected, strict=True):
        first = next(iter(prediction.values()))
        assert line.split(",")[1] == str(first), (header, line, prediction)


def test_the_endpoint_form_is_unchanged_outside_a_transform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = train_own_model("multi:softprob", tmp_path / "theirs")
    imported = import_model(own.model, own.example, own.labels, tmp_path / "m.tar.gz")
    model = XGBoostModel.from_artifact(imported.artifact)
    body = b"1,2,3,4,5,6,7,8,9,10,11,12,13,1"
    assert not answered(model, body, batch=False, monkeypatch=monkeypatch).startswith("[")
    assert answered(model, body, batch=True, monkeypatch=monkeypatch).startswith("[")
