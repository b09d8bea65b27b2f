"""A user's own model of several outputs per row (#33), from `scripts.import_model` to an answer
over real HTTP, as tests/e2e/test_own_models.py does for the one-output objectives: a quantile
regression of several quantile_alpha and multi-target regressions (both multi_strategy). The
stand-in answers a list per row as the built-in container does (serve.py:240-249 at v3.0-5);
`chalice local` names each number by the signature the import wrote, and every number is
XGBoost's own prediction."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
import requests

from bench.own_models import run_import_model
from local_sagemaker.stack import Layout, running_stack
from tests.several_outputs import train_multi_target_model, train_quantile_model, xgboost_rows
from tests.support import ENDPOINT_NAME

# A model of several outputs per row (#33): (case, how it is trained, import flags, the answer's
# key and the names of its outputs, in the model's order).
SEVERAL_OUTPUTS = [
    ("quantiles", "quantile", (), "quantiles", ("0.1", "0.5", "0.9")),
    ("targets named", "multi_output_tree", ("--targets", "progression,bp"), "values",
     ("progression", "bp")),
    ("targets by default", "one_output_per_tree", (), "values", ("target_0", "target_1")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "kind", "flags", "key", "names"), SEVERAL_OUTPUTS, ids=[c[0] for c in SEVERAL_OUTPUTS]
)
def test_a_model_of_several_outputs_answers_each_by_name_as_xgboost_predicts(
    tmp_path: Path, case: str, kind: str, flags: tuple[str, ...], key: str, names: tuple[str, ...]
) -> None:
    """The stand-in answers a list per row as the built-in container does (serve.py:240-249 at
    v3.0-5); the proxy names each number by the signature the import wrote."""
    # Given the user's model of several outputs, imported by the command
    theirs = tmp_path / "theirs"
    own = (
        train_quantile_model(theirs)
        if kind == "quantile"
        else train_multi_target_model(theirs, kind)
    )
    output = tmp_path / "build" / "model.tar.gz"
    imported = run_import_model(own.model, own.example, output, extra=flags)
    assert imported.returncode == 0, imported.stderr
    records = [own.record(row) for row in own.rows]
    csv_rows = "\n".join(",".join(repr(float(v)) for v in row) for row in own.rows[:3])
    with running_stack(output, Layout.isolated(tmp_path)) as stack:
        # When held-out records are posted as a batch and one by one
        batch = requests.post(f"{stack.proxy_url}/predict", json={"instances": records}, timeout=30)
        single = requests.post(f"{stack.proxy_url}/predict", json=records[0], timeout=10)
        document = requests.get(f"{stack.proxy_url}/openapi.json", timeout=10).json()
        # and the stand-in is asked directly, as the proxy asks it and for CSV
        runtime = boto3.client(
            "sagemaker-runtime", region_name="us-east-1", endpoint_url=stack.endpoint_url,
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )  # fmt: skip
        direct = {
            accept: runtime.invoke_endpoint(
                EndpointName=ENDPOINT_NAME, Body=csv_rows, ContentType="text/csv", Accept=accept
            )["Body"].read()
            for accept in ("application/json", "text/csv")
        }
    # Then every prediction is XGBoost's own row of outputs, each by its name, in order
    scores = xgboost_rows(own, own.rows)
    expected = [{key: dict(zip(names, row, strict=True))} for row in scores]
    assert batch.status_code == 200, batch.text
    assert batch.json()["predictions"] == expected
    assert list(batch.json()["predictions"][0][key]) == list(names)
    assert single.json()["predictions"] == expected[:1]
    # And the stand-in answers a list per row: JSON scores and CSV lines of xgboost's numbers
    assert json.loads(direct["application/json"]) == {
        "predictions": [{"score": row} for row in scores[:3]]
    }
    assert direct["text/csv"].decode() == "".join(
        ",".join(map(repr, row)) + "\n" for row in scores[:3]
    )
    # And the document says what a prediction holds: exactly these names, numbers each
    prediction = document["components"]["schemas"]["Prediction"]
    assert prediction["required"] == [key]
    assert prediction["properties"][key]["required"] == list(names)
    assert set(prediction["properties"][key]["properties"]) == set(names)


def test_the_serving_image_answers_a_list_per_row_as_the_container(tmp_path: Path) -> None:
    """The image's entry point as a real process (gunicorn, as SageMaker starts it with
    ``serve``), with the quantile model unpacked as /opt/ml/model: JSON scores and CSV lines
    of xgboost's own rows (serve.py:240-249 at v3.0-5)."""
    from foundation import processes
    from tests.e2e.test_container import start_container

    own = train_quantile_model(tmp_path / "theirs")
    model_dir = tmp_path / "opt-ml-model"
    model_dir.mkdir()
    (model_dir / "xgboost-model").write_bytes(own.model.read_bytes())
    body = "\n".join(",".join(repr(float(v)) for v in row) for row in own.rows[:4])
    process, url = start_container(model_dir, tmp_path / "container.log")
    try:
        answers = {
            accept: requests.post(
                f"{url}/invocations",
                data=body,
                headers={"Content-Type": "text/csv", "Accept": accept},
                timeout=10,
            )
            for accept in ("application/json", "text/csv")
        }
    finally:
        processes.stop(process)
    rows = xgboost_rows(own, own.rows[:4])
    assert answers["application/json"].json() == {"predictions": [{"score": r} for r in rows]}
    assert answers["text/csv"].text == "".join(",".join(map(repr, r)) + "\n" for r in rows)
