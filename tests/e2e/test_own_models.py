"""A user's own model, from `scripts.import_model` to an answer over real HTTP: for each objective
in the built-in container's table (serve_utils.py VALID_OBJECTIVES at v3.0-5) and the other
one-number objectives, the command imports it in a process of its own, the local stand-in serves
it as the container would, `chalice local` validates by its signature, and every answer is
XGBoost's own prediction, labelled as the contract says."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bench.own_models import (
    CONTAINER_TABLE,
    OTHERS,
    OwnModel,
    expected_prediction,
    import_own,
    run_import_model,
    train_own_model,
    xgboost_predictions,
)
from foundation import processes
from foundation.paths import REPO_ROOT
from local_sagemaker.stack import Layout, Stack, running_stack


@pytest.fixture(scope="module", params=CONTAINER_TABLE + OTHERS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[OwnModel, Stack]]:
    objective = request.param
    folder = tmp_path_factory.mktemp(objective.replace(":", "-"))
    own = train_own_model(objective, folder / "theirs")
    imported = import_own(own, folder / "build" / "model.tar.gz")
    assert imported.returncode == 0, imported.stderr
    with running_stack(folder / "build" / "model.tar.gz", Layout.isolated(folder)) as stack:
        yield own, stack


def test_every_answer_is_xgboosts_own_prediction_labelled_by_the_contract(
    served: tuple[OwnModel, Stack],
) -> None:
    own, stack = served
    # Given rows the model was not trained on, missing values left out in half, null in the rest
    records = [own.record(row, omit_missing=i % 2 == 0) for i, row in enumerate(own.rows)]
    # When they are posted as one batch
    response = requests.post(f"{stack.proxy_url}/predict", json={"instances": records}, timeout=30)
    # Then each prediction is the contract's for XGBoost's own prediction of that row
    assert response.status_code == 200, response.text
    got = response.json()["predictions"]
    scores = xgboost_predictions(own, own.rows)
    assert got == [expected_prediction(own, score) for score in scores]


def test_one_record_at_a_time_gives_the_same_answers_and_bad_records_are_refused(
    served: tuple[OwnModel, Stack],
) -> None:
    own, stack = served
    first = own.record(own.rows[0])
    response = requests.post(f"{stack.proxy_url}/predict", json=first, timeout=10)
    assert response.status_code == 200, response.text
    score = xgboost_predictions(own, own.rows[:1])[0]
    assert response.json()["predictions"] == [expected_prediction(own, score)]
    # A record of another model (Iris's) is a 400 counting every feature it lacks and every
    # field it should not have, never a label
    iris = {"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}
    refused = requests.post(f"{stack.proxy_url}/predict", json=iris, timeout=10)
    assert refused.status_code == 400
    document = requests.get(f"{stack.proxy_url}/openapi.json", timeout=10).json()
    required = document["components"]["schemas"]["Record"].get("required", [])
    assert refused.json()["ErrorCount"] == len(required) + len(iris)


def test_the_document_describes_this_models_records_and_answers(
    served: tuple[OwnModel, Stack],
) -> None:
    own, stack = served
    document = requests.get(f"{stack.proxy_url}/openapi.json", timeout=10).json()
    schemas = document["components"]["schemas"]
    assert list(schemas["Record"]["properties"]) == list(own.names)
    prediction = schemas["Prediction"]
    if own.labels:
        assert prediction["properties"]["label"]["enum"] == list(own.labels)
    else:
        assert list(prediction["properties"]) == ["value"]
    example = document["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"]
    assert example["examples"]["record"]["value"] == own.record(own.rows[0])


def test_a_wrong_signature_is_refused_before_anything_serves(tmp_path: Path) -> None:
    # Given two imported models, and the second's signature put beside the first's artifact
    binary = train_own_model("binary:logistic", tmp_path / "binary")
    wine = train_own_model("multi:softmax", tmp_path / "wine")
    assert import_own(binary, tmp_path / "a" / "model.tar.gz").returncode == 0
    assert import_own(wine, tmp_path / "b" / "model.tar.gz").returncode == 0
    (tmp_path / "a" / "model.signature.json").write_bytes(
        (tmp_path / "b" / "model.signature.json").read_bytes()
    )
    # When the stand-in or make run's launcher is asked to serve them
    for module in ("local_sagemaker", "scripts.run_local"):
        started = subprocess.run(
            [sys.executable, "-m", module, "--model", str(tmp_path / "a" / "model.tar.gz"),
             "--port", str(processes.free_port())],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        # Then neither starts, and each says why in one line
        assert started.returncode == 2, started.stdout + started.stderr
        assert started.stderr.count("\n") == 1
        assert "was made for another artifact" in started.stderr


def test_hand_edited_signatures_that_no_longer_fit_the_model_are_refused(tmp_path: Path) -> None:
    own = train_own_model("multi:softprob", tmp_path / "theirs")
    assert import_own(own, tmp_path / "build" / "model.tar.gz").returncode == 0
    path = tmp_path / "build" / "model.signature.json"
    original = json.loads(path.read_text())
    edits = {
        "a feature dropped": ("features", original["features"][:-1], "the signature names 13"),
        "a class dropped": ("labels", original["labels"][:-1], "3 classes, the signature 2"),
        "another objective": ("objective", "multi:softmax", "the signature's multi:softmax"),
    }
    for what, (key, value, said) in edits.items():
        path.write_text(json.dumps({**original, key: value}))
        started = subprocess.run(
            [sys.executable, "-m", "local_sagemaker", "--model", str(tmp_path / "build" /
             "model.tar.gz"), "--port", str(processes.free_port())],
            cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert started.returncode == 2, what
        assert said in started.stderr, (what, started.stderr)


def test_a_mistyped_model_path_trains_nothing_and_touches_nothing(tmp_path: Path) -> None:
    # Given a folder with the user's own artifact and a signature they edited by hand
    own = train_own_model("reg:squarederror", tmp_path / "theirs")
    folder = tmp_path / "mine"
    assert import_own(own, folder / "model.tar.gz").returncode == 0
    signature = folder / "model.signature.json"
    edited = json.loads(signature.read_text())
    edited["features"][0]["minimum"] = 18  # age: adults only
    signature.write_text(json.dumps(edited, indent=2))
    before = {path.name: path.read_bytes() for path in folder.iterdir()}
    # When make run's launcher is given a path with a typo
    started = subprocess.run(
        [sys.executable, "-m", "scripts.run_local", "--model", str(folder / "modle.tar.gz")],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    # Then it says so and stops: nothing trained, nothing in the folder changed or added
    assert started.returncode == 2
    assert "modle.tar.gz not found (nothing trained in its place)" in started.stderr
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before


def test_a_model_of_one_optional_feature_answers_a_record_without_it(tmp_path: Path) -> None:
    """One feature a line: its missing value cannot be an empty cell (an empty line, which the
    container cannot read); the proxy sends "nan", which the container reads as missing."""
    import numpy as np
    import xgboost as xgb
    from sklearn.datasets import load_diabetes

    data = load_diabetes(scaled=False)
    bmi = data.data[:, [2]].copy()
    bmi[::10] = np.nan
    booster = xgb.train(
        {"objective": "reg:squarederror", "max_depth": 2, "nthread": 1},
        xgb.DMatrix(bmi, label=data.target, feature_names=["bmi"]),
        num_boost_round=5,
    )
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    booster.save_model(theirs / "model.ubj")
    # One column: its empty cell is written "" (a bare empty line is no row to a CSV reader)
    (theirs / "example.csv").write_text('bmi\n32.1\n""\n21.6\n')
    imported = run_import_model(
        theirs / "model.ubj", theirs / "example.csv", tmp_path / "model.tar.gz"
    )
    assert imported.returncode == 0, imported.stderr
    with running_stack(tmp_path / "model.tar.gz", Layout.isolated(tmp_path)) as stack:
        records = [{}, {"bmi": None}, {"bmi": 30.5}, {}]
        answer = requests.post(
            f"{stack.proxy_url}/predict", json={"instances": records}, timeout=30
        )
        single = requests.post(f"{stack.proxy_url}/predict", json={}, timeout=30)
    rows = np.array([[np.nan], [np.nan], [30.5], [np.nan]])
    expected = booster.predict(xgb.DMatrix(rows, feature_names=["bmi"]))
    assert answer.status_code == 200, answer.text
    assert answer.json()["predictions"] == [{"value": float(v)} for v in expected]
    assert single.status_code == 200, single.text
    assert single.json()["predictions"] == [{"value": float(expected[0])}]


def test_a_categorical_model_takes_category_names_and_answers_as_xgboost_on_pandas(
    tmp_path: Path,
) -> None:
    """#33: a booster trained on pandas category columns, imported with its categories by the
    command, served by the stand-in (the container's CSV reading: codes as plain numbers) behind
    `chalice local`."""
    from bench.own_models import categories_flags, train_categorical_model

    # Given the shop's model imported with its categories in pandas' order
    own = train_categorical_model(tmp_path / "theirs", "binary:logistic")
    output = tmp_path / "build" / "model.tar.gz"
    imported = run_import_model(
        own.model, own.example, output, ("stay", "buy"), tuple(categories_flags(own))
    )
    assert imported.returncode == 0, imported.stderr
    assert "categorical" in imported.stdout
    with running_stack(output, Layout.isolated(tmp_path)) as stack:
        # When held-out records are posted by category name, as a batch and one by one
        batch = requests.post(
            f"{stack.proxy_url}/predict", json={"instances": own.records}, timeout=30
        )
        single = requests.post(f"{stack.proxy_url}/predict", json=own.records[1], timeout=10)
        # and with a name the model does not know, and a code in a name's place
        unknown = requests.post(
            f"{stack.proxy_url}/predict", json={**own.records[0], "color": "purple"}, timeout=10
        )
        code = requests.post(
            f"{stack.proxy_url}/predict", json={**own.records[0], "color": 2}, timeout=10
        )
        document = requests.get(f"{stack.proxy_url}/openapi.json", timeout=10).json()
    # Then every answer is XGBoost's own prediction on the pandas DataFrame of those records
    assert batch.status_code == 200, batch.text
    scores = own.predict(own.records)
    expected = [
        {"label": ("stay", "buy")[int(p > 0.5)], "probabilities": {"stay": 1.0 - p, "buy": p}}
        for p in scores
    ]
    assert batch.json()["predictions"] == expected
    assert single.json()["predictions"] == [expected[1]]
    # And the unknown name and the code are 400s listing the names, not echoing what was sent
    allowed = "Input should be one of 'red', 'green', 'blue', 'violet', 'amber'"
    for refused in (unknown, code):
        assert refused.status_code == 400, refused.text
        assert refused.json()["Errors"] == [{"field": "color", "reason": allowed}]
        assert "purple" not in refused.text
    # And the document has the names as an enum
    color = document["components"]["schemas"]["Record"]["properties"]["color"]
    assert color["enum"] == ["red", "green", "blue", "violet", "amber"]
