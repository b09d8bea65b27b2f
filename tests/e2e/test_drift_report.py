"""The drift report end to end: the stand-in captures what the proxy sends it over HTTP, and
``scripts.drift_report`` (a process of its own) reads that folder, prints the table, exits 1 and
writes the HTML report, which Chromium opens with a chart per feature; the same command reads
S3's capture on moto; a registered version carries its baseline."""

from __future__ import annotations

import datetime
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import requests
from sklearn.datasets import load_iris

from foundation.lambda_code import drift
from foundation.lambda_code import signature as sig
from foundation.paths import REPO_ROOT
from local_sagemaker.stack import Layout, Stack, running_stack
from provisioning import model_registry, registered_models
from provisioning.aws import AwsClients
from provisioning.naming import VARIANT_NAME
from scripts import drift_report, register_model
from tests.drift_traffic import draw, make_shop, write_capture
from tests.e2e.provisioning_runs import make_aws
from tests.e2e.test_web_page import CHROMIUM, CHROMIUM_ARGS

ENDPOINT = "iris-xgboost"  # the local and deployed stages' endpoint (chalice_app/.chalice)
FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
MOMENT = datetime.datetime(2026, 11, 27, 10, 15, tzinfo=datetime.UTC)


def iris_records(shift: float = 0.0) -> list[dict]:
    """Iris flowers as the API takes them, petal length moved by ``shift`` cm."""
    rows = load_iris().data
    return [
        {name: round(float(value) + (shift if name == "petal_length" else 0.0), 2)
         for name, value in zip(FEATURES, row, strict=True)}
        for row in rows
    ]  # fmt: skip


def drift_command(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scripts.drift_report", *arguments],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def captured(
    trained_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Stack, Path]]:
    """The local stack with the stand-in capturing, as `run_local --capture-dir DIR` runs it."""
    folder = tmp_path_factory.mktemp("drift-stack")
    capture = folder / "capture"
    with running_stack(
        trained_model / "model.tar.gz", Layout.isolated(folder), capture_dir=capture
    ) as stack:
        yield stack, capture


@pytest.fixture(scope="module")
def reported(
    captured: tuple[Stack, Path], trained_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[subprocess.CompletedProcess[str], Path, Path]:
    """Traffic with petal length 1.5 cm longer sent through the proxy over HTTP, then the
    report made by the command, as cron would run it."""
    stack, capture = captured
    records = iris_records(shift=1.5)
    for start in range(0, 600, 10):
        batch = [records[(start + i) % len(records)] for i in range(10)]
        answer = requests.post(f"{stack.proxy_url}/predict", json={"instances": batch}, timeout=10)
        assert answer.status_code == 200, answer.text
    for record in records[:20]:
        assert (
            requests.post(f"{stack.proxy_url}/predict", json=record, timeout=10).status_code == 200
        )
    html = tmp_path_factory.mktemp("drift-report") / "report.html"
    done = drift_command(
        "--stage", "local", "--capture", str(capture), "--baseline", str(trained_model),
        "--since", "1h", "--html", str(html),
    )  # fmt: skip
    return done, html, capture


def test_the_stand_in_captures_what_the_proxy_sends(
    reported: tuple[subprocess.CompletedProcess[str], Path, Path], trained_model: Path
) -> None:
    _, _, capture = reported
    sha = sig.read_signature(trained_model / "model.signature.json").artifact_sha256
    files = sorted(
        (capture / "capture" / ENDPOINT / sha / ENDPOINT / VARIANT_NAME).rglob("*.jsonl")
    )
    assert files, "no capture file under the endpoint's, the model's and the variant's folders"
    lines = [line for file in files for line in file.read_text().splitlines()]
    assert len(lines) == 80  # 60 batches and 20 records
    first = drift.capture.parse_line(lines[0])
    assert first.request_type == "text/csv" and first.answer_type == "application/json"
    assert len(first.request.splitlines()) == 10


def test_the_command_reports_the_shifted_feature_and_exits_1(
    reported: tuple[subprocess.CompletedProcess[str], Path, Path], trained_model: Path
) -> None:
    done, html, _ = reported
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"endpoint {ENDPOINT} (stage local), from ")
    sha = sig.read_signature(trained_model / "model.signature.json").artifact_sha256
    heading = next(line for line in lines if line.startswith(f"model {sha[:12]}: "))
    assert "80 records, 620 rows" in heading and "level: alert" in heading
    table = lines[lines.index(heading) + 1 :]
    assert table[0].split()[:4] == ["feature", "type", "level", "PSI"]
    assert table[1].split()[:3] == ["petal_length", "number", "alert"]
    assert any(line.startswith("thresholds: PSI warn 0.1 alert 0.25") for line in lines)
    assert html.is_file() and done.stderr == ""


@pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed: `sudo apt-get install chromium`"
)
def test_the_html_report_opens_in_chromium_with_a_chart_per_feature(
    reported: tuple[subprocess.CompletedProcess[str], Path, Path],
) -> None:
    from playwright.sync_api import sync_playwright

    _, html, _ = reported
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            fetched: list[str] = []
            page.on("request", lambda request: fetched.append(request.url))
            page.goto(html.as_uri())
            charts = page.locator("figure.chart")
            names = charts.evaluate_all("cs => cs.map(c => c.dataset.feature)")
            assert sorted(names) == sorted([*FEATURES, "prediction"])
            assert names[0] == "petal_length"
            for index in range(charts.count()):
                chart = charts.nth(index)
                box = chart.locator("svg").bounding_box()
                assert box is not None and box["width"] > 100 and box["height"] > 100
                assert chart.locator("svg rect").count() >= 4  # two bars a bin, two bins or more
            assert page.locator("figure.chart[data-level=alert]").count() >= 1
            # Self-contained: nothing but the file itself was fetched
            assert fetched == [html.as_uri()]
        finally:
            browser.close()


def upload(aws: AwsClients, root: Path, bucket: str) -> None:
    for path in root.rglob("*.jsonl"):
        aws.s3.put_object(
            Bucket=bucket, Key=path.relative_to(root).as_posix(), Body=path.read_bytes()
        )


@pytest.fixture
def aws(fake_credentials: None) -> Iterator[AwsClients]:
    yield from make_aws("us-east-1")


def test_the_command_reads_the_stages_capture_in_s3(
    aws: AwsClients, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the dev stage's endpoint's capture in the project's bucket: traffic like the
    # baseline's at 09:15, drifted traffic at 10:15, as the stand-in's writer lays it out
    bucket = "sagemaker-proxy-123456789012-us-east-1"
    shop = make_shop(tmp_path / "shop")
    write_capture(
        tmp_path / "capture",
        shop,
        draw(np.random.default_rng(1), 1000),
        ENDPOINT,
        MOMENT.replace(hour=9),
    )
    write_capture(
        tmp_path / "capture",
        shop,
        draw(np.random.default_rng(2), 1000, shift=8.0),
        ENDPOINT,
        MOMENT,
    )
    aws.s3.create_bucket(Bucket=bucket)
    upload(aws, tmp_path / "capture", bucket)
    window = ["--stage", "dev", "--region", "us-east-1", "--baseline", str(tmp_path / "shop")]
    # When the hour before is read: nothing crosses a threshold, exit 0
    code = drift_report.main([*window, "--from", "2026-11-27T09:00", "--to", "2026-11-27T10:00"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.splitlines()[0].endswith(f"read from s3://{bucket}/capture/{ENDPOINT}/")
    assert "100 records, 1000 rows" in out and "level: ok" in out
    # When the hour of the drift is read: amount alerts, exit 1
    code = drift_report.main([*window, "--from", "2026-11-27T10:00", "--to", "2026-11-27T11:00"])
    out = capsys.readouterr().out
    assert code == 1
    assert (
        next(line for line in out.splitlines() if line.startswith("amount")).split()[2] == "alert"
    )
    # When a window holds nothing: one line, exit 0
    code = drift_report.main([*window, "--from", "2026-11-28T10:00", "--to", "2026-11-28T11:00"])
    assert code == 0
    assert capsys.readouterr().out == (
        f"nothing captured for endpoint {ENDPOINT} from 2026-11-28 10:00 to 2026-11-28 11:00 UTC "
        f"(s3://{bucket}/capture/{ENDPOINT}/)\n"
    )
    # When the bucket is not there: one line, exit 2
    assert drift_report.main([*window, "--bucket", "no-such-bucket-here"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("drift_report: cannot read the capture: ") and err.count("\n") == 1


def test_a_registered_version_carries_its_baseline(
    aws: AwsClients, trained_model: Path, tmp_path: Path
) -> None:
    # Given the Iris example (trained with its baseline) registered
    assert (
        register_model.main(
            [
                "--group",
                "iris",
                "--model",
                str(trained_model / "model.tar.gz"),
                "--region",
                "us-east-1",
            ]
        )
        == 0
    )
    (version,) = model_registry.versions(aws.sagemaker, "iris")
    baseline_bytes = (trained_model / "model.baseline.json").read_bytes()
    # Then its metadata names the baseline stored beside the signature, by its sha256
    assert version.metadata[model_registry.BASELINE_KEY].endswith(
        f"/{version.sha256}/model.baseline.json"
    )
    # And deploying it fetches the baseline with the artifact and the signature
    artifact, _ = registered_models.fetch(aws.s3, version, tmp_path)
    assert artifact.with_name("model.baseline.json").read_bytes() == baseline_bytes
    # And a baseline changed since is refused
    bucket, key = version.metadata[model_registry.BASELINE_KEY].removeprefix("s3://").split("/", 1)
    aws.s3.put_object(
        Bucket=bucket, Key=key, Body=baseline_bytes.replace(b'"rows": 105', b'"rows": 106')
    )
    with pytest.raises(model_registry.RegistryRefused, match="baseline changed"):
        registered_models.fetch(aws.s3, version, tmp_path / "again")
