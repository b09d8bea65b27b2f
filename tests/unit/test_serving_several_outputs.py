"""The serving image and the stand-in with a model of several outputs per row (#33), answered as
the built-in container v3.0-5 writes ``preds.tolist()`` (serve.py:240-249): each row's list as
JSON's score, as CSV cells, or as ``str()`` in a Batch Transform. The expected bytes are made
here the container's way, from XGBoost's own predict, not by the serving code under test."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
import xgboost as xgb
from werkzeug.test import Client

from bench.own_models import OwnModel
from local_sagemaker.runtime_api import RuntimeApi
from serving.container import BUILT_IN_INPUTS, OWN_IMAGE_INPUTS, ContainerApp
from serving.model import XGBoostModel
from tests.several_outputs import (
    MULTI_STRATEGIES,
    train_multi_target_model,
    train_quantile_model,
    xgboost_rows,
)


@pytest.fixture(scope="module", params=["quantile", *MULTI_STRATEGIES])
def own(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> OwnModel:
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "quantile":
        return train_quantile_model(folder)
    return train_multi_target_model(folder, request.param)


def array_to_csv(array_like: list) -> str:
    """sagemaker-containers 2.8.6.post2 (the container's requirements.txt), _encoders.py:129-153,
    which serve.py:247 calls through ``encoders.encode(preds_list, "text/csv")``."""
    array = np.array(array_like)
    if len(array.shape) == 1:
        array = np.reshape(array, (array.shape[0], 1))
    stream = io.StringIO()
    csv.writer(stream, lineterminator="\n", delimiter=",", quotechar='"', doublequote=True,
               strict=True).writerows(array)  # fmt: skip
    return stream.getvalue()


def invoke(served: Client, body: str, accept: str) -> bytes:
    headers = {"Content-Type": "text/csv", "Accept": accept}
    return served.post("/invocations", data=body, headers=headers).get_data()


@pytest.mark.parametrize("inputs", [BUILT_IN_INPUTS, OWN_IMAGE_INPUTS], ids=["stand-in", "image"])
def test_each_answer_is_the_containers_for_xgboosts_rows(
    own: OwnModel, monkeypatch: pytest.MonkeyPatch, inputs: frozenset[str]
) -> None:
    # Given the app as the stand-in hosts it (CSV in) or as the serving image runs it (CSV, JSON)
    served = Client(ContainerApp.serving(XGBoostModel(own.booster()), inputs))
    # And CSV rows, one with a missing value (an empty cell)
    rows = own.rows[:3].copy()
    rows[1][2] = np.nan
    body = "\n".join(",".join("" if v != v else repr(float(v)) for v in row) for row in rows)
    preds_list = own.booster().predict(xgb.DMatrix(rows), validate_features=False).tolist()
    assert all(isinstance(row, list) and len(row) > 1 for row in preds_list)
    # Then JSON is encode_predictions_as_json(preds_list) (serve_utils.py:533-545)
    assert (
        invoke(served, body, "application/json")
        == json.dumps({"predictions": [{"score": row} for row in preds_list]}).encode()
    )
    # And CSV is array_to_csv's, a line of cells per row (serve.py:247)
    assert invoke(served, body, "text/csv").decode() == array_to_csv(preds_list)
    # And in a Batch Transform, str() of each row's list (serve.py:240-242)
    monkeypatch.setenv("SAGEMAKER_BATCH", "true")
    assert invoke(served, body, "text/csv").decode() == "\n".join(map(str, preds_list)) + "\n"


def test_the_stand_in_passes_the_containers_answer_through(own: OwnModel) -> None:
    endpoint = Client(RuntimeApi(XGBoostModel(own.booster()), ["own"]))
    body = "\n".join(",".join(repr(float(v)) for v in row) for row in own.rows[:2])
    response = endpoint.post(
        "/endpoints/own/invocations",
        data=body,
        headers={"Content-Type": "text/csv", "Accept": "application/json"},
    )
    assert response.status_code == 200
    scores = [row["score"] for row in response.get_json()["predictions"]]
    assert scores == xgboost_rows(own, own.rows[:2])
