"""A stage's drift function, run by Chalice's test client against moto in process: the shop model
deployed with capture (its baseline shipped beside the stage's signature by the deploy), switched
on by `scripts.drift_schedule`, its endpoint's capture in S3 as the stand-in's writer lays it out
from seeded traffic; the metrics it publishes read back as CloudWatch would extract them from its
log, and compared with the laptop's report of the same window."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from chalice.test import Client

from foundation.lambda_code import drift, drift_schedule
from provisioning.aws import AwsClients
from tests.drift_traffic import Shop, draw, make_shop, write_capture
from tests.e2e.command_runs import REGION
from tests.e2e.provisioning_runs import make_aws, run_deploy
from tests.e2e.test_batch_functions import load_app, project_copy
from watch.directory_store import DirectoryStore

ENDPOINT = "iris-test"  # run_deploy's endpoint
BUCKET = f"sagemaker-proxy-123456789012-{REGION}"
FUNCTION = "sagemaker-proxy-dev-watch_drift"
MOMENT = datetime.datetime(2026, 11, 27, 10, 15, tzinfo=datetime.UTC)


def extracted(out: str) -> dict[str, dict[tuple[str, ...], float]]:
    """The metrics CloudWatch Logs extracts from the function's log lines, by the embedded metric
    format's rules ("Specification: Embedded metric format"): each directive's metrics, by each
    of its dimension sets, named from the document's own members."""
    found: dict[str, dict[tuple[str, ...], float]] = {}
    for line in out.splitlines():
        document = json.loads(line) if line.startswith("{") else {}
        for directive in document.get("_aws", {}).get("CloudWatchMetrics", []):
            assert directive["Namespace"] == "SageMakerProxy"
            assert 1 <= len(directive["Metrics"]) <= 100
            for metric in directive["Metrics"]:
                assert metric["Unit"] == "None"
                value = document[metric["Name"]]
                assert isinstance(value, float)
                for names in directive["Dimensions"]:
                    key = tuple(f"{name}={document[name]}" for name in names)
                    assert key not in found.get(metric["Name"], {})  # one value a run
                    found.setdefault(metric["Name"], {})[key] = value
    return found


def tick(client: Client, at: datetime.datetime) -> dict[str, Any]:
    """The schedule's event, as EventBridge sends it at ``at``."""
    event = client.events.generate_cw_event(
        source="aws.events", detail_type="Scheduled Event", detail={}, resources=[]
    )
    event["time"] = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return event


def upload(aws: AwsClients, root: Path) -> None:
    for path in sorted(root.rglob("*.jsonl")):
        key = path.relative_to(root).as_posix()
        aws.s3.put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes())


def captured(aws: AwsClients, folder: Path, shop: Shop, records: list[dict[str, Any]]) -> None:
    """``records`` captured by the stage's endpoint at MOMENT: laid out in ``folder`` as the
    stand-in's writer lays them out, and uploaded to the bucket."""
    write_capture(folder, shop, records, ENDPOINT, MOMENT)
    upload(aws, folder)


def fired(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *moments: datetime.datetime,
) -> list[tuple[dict[str, Any], str]]:
    """The stage's drift function fired by its schedule at each of ``moments`` in turn (one app,
    one test client): what it answered each time, and what it logged."""
    app = load_app(project, monkeypatch, "dev").app
    runs = []
    with Client(app, stage_name="dev", project_dir=str(project)) as client:
        capsys.readouterr()
        for at in moments:
            answer = client.lambda_.invoke(drift_schedule.FUNCTION, tick(client, at)).payload
            runs.append((answer, capsys.readouterr().out))
    return runs


@pytest.fixture
def watched(
    tmp_path: Path, fake_credentials: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[AwsClients, Path, Shop]]:
    """The shop model deployed for stage dev of a project copy with capture on, and the stage's
    drift function switched on, hourly."""
    from scripts import drift_schedule as command

    shop = make_shop(tmp_path / "shop")
    project = project_copy(tmp_path)
    config_dir = project / ".chalice"
    # Not waited for: the deploy's smoke test sends a category by its name, which moto's stand-in
    # answer (the model's own, tests/support.py) cannot be made of; moto's endpoint serves at once.
    for aws in make_aws(REGION):
        code, lines = run_deploy(
            aws, shop.artifact, config_dir, "--stage", "dev", "--capture-percent", "100",
            "--no-wait",
        )  # fmt: skip
        assert code == 0, lines
        args = ["--stage", "dev", "--schedule", "rate(1 hour)", "--chalice-config-dir",
                str(config_dir)]  # fmt: skip
        assert command.main(args) == 0
        # As Lambda names the function, and the template does (provisioning/api/functions.py)
        monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", FUNCTION)
        yield aws, project, shop


def test_the_deploy_ships_the_models_baseline_with_the_stage(
    watched: tuple[AwsClients, Path, Shop],
) -> None:
    _, project, shop = watched
    shipped = project / "chalicelib" / "signatures" / "dev.baseline.json"
    assert shipped.read_bytes() == shop.artifact.with_name("model.baseline.json").read_bytes()
    stage = json.loads((project / ".chalice" / "config.json").read_text())["stages"]["dev"]
    assert stage["environment_variables"][drift_schedule.BUCKET] == BUCKET
    assert stage["lambda_functions"][drift_schedule.FUNCTION]["reserved_concurrency"] == 1


def test_a_shifted_feature_and_one_arriving_empty_are_published_as_the_report_measures_them(
    watched: tuple[AwsClients, Path, Shop],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    aws, project, shop = watched
    # Given an hour of traffic like the baseline's (09:15), then an hour whose amount moved by
    # 8 (0.8 standard deviations) and where half the records more leave rate out (10:15)
    capture = tmp_path / "capture"
    write_capture(capture, shop, draw(np.random.default_rng(1), 1000), ENDPOINT,
                  MOMENT.replace(hour=9))  # fmt: skip
    write_capture(capture, shop, draw(np.random.default_rng(2), 1000, shift=8.0, empty=0.5),
                  ENDPOINT, MOMENT)  # fmt: skip
    upload(aws, capture)
    # When the schedule fires at 10:00 (the hour before is read), then at 11:00
    (calm, calm_out), (drifted, out) = fired(
        project, monkeypatch, capsys, MOMENT.replace(hour=10, minute=0),
        MOMENT.replace(hour=11, minute=0),
    )  # fmt: skip
    calm_metrics, metrics = extracted(calm_out), extracted(out)
    # Then the calm hour publishes every figure, none near a threshold
    assert calm["published"] is True and calm["level"] == "ok" and calm["rows"] == 1000
    assert calm_metrics["PSI"][(f"FunctionName={FUNCTION}",)] < 0.05
    assert calm_metrics["PredictionPSI"][(f"FunctionName={FUNCTION}",)] < 0.05
    # And the drifted hour: amount's PSI and rate's missing-rate rise, per feature and as the
    # worst (what the alarms read), each the value the laptop's report measures for that window
    assert drifted["level"] == "alert" and drifted["records"] == 100
    assert {item["name"] for item in drifted["crossed"] if item["level"] == "alert"} >= {
        "amount", "rate",
    }  # fmt: skip
    laptop = drift.read_capture(
        DirectoryStore(capture), f"capture/{ENDPOINT}",
        {shop.signature.artifact_sha256: (shop.baseline, shop.signature)},
        drift.Thresholds(), MOMENT.replace(minute=0), MOMENT.replace(hour=11, minute=0),
    ).reports[shop.signature.artifact_sha256]  # fmt: skip
    by_name = {d.name: d for d in laptop.features}
    for name in ("amount", "visits", "rate", "member", "colour"):
        key = (f"FunctionName={FUNCTION}", f"Feature={name}")
        assert metrics["PSI"][key] == pytest.approx(by_name[name].psi, rel=1e-12)
        rise = by_name[name].missing_rate - by_name[name].baseline_missing_rate
        assert metrics["MissingRateRise"][key] == pytest.approx(rise, rel=1e-12, abs=1e-15)
    worst = (f"FunctionName={FUNCTION}",)
    assert metrics["PSI"][worst] == max(d.psi for d in laptop.features) == by_name["rate"].psi
    assert by_name["amount"].psi > 0.25 and by_name["rate"].psi > 0.25
    assert metrics["MissingRateRise"][worst] == pytest.approx(0.5, abs=0.05)
    assert metrics["PredictionPSI"][worst] == pytest.approx(laptop.predictions[0].psi)
    assert by_name["visits"].psi < 0.05  # features that did not move stay down
    # And every metric carries the window's end as its time, and the summary line says it all
    summary = json.loads(out.splitlines()[-1])
    assert summary["_aws"]["Timestamp"] == int(MOMENT.replace(hour=11, minute=0).timestamp() * 1000)
    assert summary["drift"] == drifted


def test_nothing_captured_publishes_nothing_and_says_so(
    watched: tuple[AwsClients, Path, Shop],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, project, _ = watched
    [(answer, out)] = fired(project, monkeypatch, capsys, MOMENT)
    assert answer["published"] is False and answer["reason"] == "nothing captured"
    assert extracted(out) == {} and out.count("\n") == 1
    assert json.loads(out)["drift"]["to"] == MOMENT.isoformat()


def test_a_stage_without_its_models_baseline_says_how_to_make_one(
    watched: tuple[AwsClients, Path, Shop],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    aws, project, shop = watched
    captured(aws, tmp_path / "capture", shop, draw(np.random.default_rng(3), 600))
    (project / "chalicelib" / "signatures" / "dev.baseline.json").unlink()
    [(answer, out)] = fired(project, monkeypatch, capsys, MOMENT.replace(hour=11))
    assert answer["published"] is False
    assert (
        "no baseline for model" in answer["refused"]
        and "scripts.make_baseline" in answer["refused"]
    )
    assert extracted(out) == {} and out.count("\n") == 1


def test_malformed_lines_and_another_models_lines_are_counted_not_read(
    watched: tuple[AwsClients, Path, Shop],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    aws, project, shop = watched
    # Given the stage's model's hour, plus a file of lines that are no capture record under its
    # path, and the lines of the model a deploy replaced (another artifact) in the same hour
    captured(aws, tmp_path / "capture", shop, draw(np.random.default_rng(4), 600))
    sha = shop.signature.artifact_sha256
    hour = f"{ENDPOINT}/AllTraffic/2026/11/27/10"
    aws.s3.put_object(Bucket=BUCKET, Key=f"capture/{ENDPOINT}/{sha}/{hour}/zz-junk.jsonl",
                      Body=b'not json\n{"captureData": {}}\n')  # fmt: skip
    other = make_shop(tmp_path / "other", seed=8, rounds=5)
    captured(aws, tmp_path / "old", other, draw(np.random.default_rng(5), 50))
    [(answer, out)] = fired(project, monkeypatch, capsys, MOMENT.replace(hour=11, minute=0))
    # Then the stage's model is judged on its own 600 rows, the bad lines counted by why
    assert answer["published"] is True and answer["rows"] == 600
    assert sum(answer["malformed"].values()) == 2
    assert answer["other_models"] == {other.signature.artifact_sha256[:12]: 5}
    assert extracted(out)["PSI"]
