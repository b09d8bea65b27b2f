"""Reading an endpoint's capture: lines that are no capture record are counted by why and never
stop the reading; each model's records are read into its own report, by the capture path that
names it, never mixed; the window's hours are chosen by key and its bounds by each line's time."""

from __future__ import annotations

import base64
import datetime
import json
from pathlib import Path

import numpy as np
import pytest

from foundation.lambda_code import drift
from local_sagemaker.capture import capture_line
from tests.drift_traffic import (
    MOMENT,
    Shop,
    capture_lines,
    draw,
    exchanges,
    make_shop,
    write_capture,
)
from watch.directory_store import DirectoryStore

ENDPOINT = "shop"
PREFIX = f"capture/{ENDPOINT}"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    return make_shop(tmp_path_factory.mktemp("shop"))


@pytest.fixture(scope="module")
def other_shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    """Another model of the same signature (another artifact)."""
    return make_shop(tmp_path_factory.mktemp("other"), seed=8, rounds=5)


def edited(line: str, change: object) -> str:
    record = json.loads(line)
    change(record)  # type: ignore[operator]
    return json.dumps(record)


def test_lines_that_are_no_capture_record_are_counted_by_why(shop: Shop) -> None:
    # Given a window of good lines and every kind of bad one among them
    good = capture_lines(shop, draw(np.random.default_rng(1), 200))
    request_type = edited(
        good[0],
        lambda r: r["captureData"]["endpointInput"].update(observedContentType="application/json"),
    )
    bad_base64 = edited(
        good[0], lambda r: r["captureData"]["endpointInput"].update(encoding="BASE64", data="%%%")
    )
    no_request = edited(good[0], lambda r: r["captureData"].pop("endpointInput"))
    no_time = edited(good[0], lambda r: r["eventMetadata"].pop("inferenceTime"))
    wrong_answer = edited(
        good[0],
        lambda r: r["captureData"]["endpointOutput"].update(
            data='{"predictions": [{"score": [0.1, 0.9]}]}'
        ),
    )
    text = json.loads(good[1])["captureData"]["endpointInput"]["data"]
    ragged = edited(
        good[1],
        lambda r: r["captureData"]["endpointInput"].update(data=text.replace("\n", ",1\n", 1)),
    )
    bad = [
        "not json at all", "[1, 2]", "{}", '{"captureData": 3}', "[" * 100_000, b"\xff\xfe",
        request_type, bad_base64, no_request, no_time, wrong_answer, ragged,
        good[2][: len(good[2]) // 2],  # a line cut short
    ]  # fmt: skip
    # When the window is read
    report = drift.drift_report(shop.baseline, shop.signature, [*good, *bad])
    # Then every bad line is counted by why, and the good ones read
    assert report.malformed == {
        "not JSON": 4, "not a capture record": 4, "request not CSV": 1, "data not base64": 1,
        "no request captured": 1,
    }  # fmt: skip
    assert report.records == len(good) + 2  # the wrong answer's and the ragged row's records
    assert report.unread_answers == 1 and report.wrong_width == 1
    assert report.rows == 200 + 10 + 10


def test_base64_capture_reads_as_text_capture(shop: Shop) -> None:
    # An endpoint config that lists no content type captures everything as base64
    records = draw(np.random.default_rng(2), 300)
    as_base64 = [
        capture_line(
            body, "text/csv", answer, "application/json", "e", MOMENT, csv_types=(), json_types=()
        )
        for body, answer in exchanges(shop, records)
    ]
    assert json.loads(as_base64[0])["captureData"]["endpointInput"]["encoding"] == "BASE64"
    one = drift.drift_report(shop.baseline, shop.signature, as_base64)
    other = drift.drift_report(shop.baseline, shop.signature, capture_lines(shop, records))
    assert one.to_json() | {"first": None, "last": None} == other.to_json() | {
        "first": None,
        "last": None,
    }


def test_each_model_is_read_into_its_own_report(
    tmp_path: Path, shop: Shop, other_shop: Shop
) -> None:
    # Given one endpoint's capture of two models (a deploy in the window), the second's traffic
    # shifted, and a file under a path that names no model (a config made before)
    assert shop.signature.artifact_sha256 != other_shop.signature.artifact_sha256
    write_capture(tmp_path, shop, draw(np.random.default_rng(3), 1000), ENDPOINT)
    write_capture(tmp_path, other_shop, draw(np.random.default_rng(4), 2000, shift=10.0), ENDPOINT)
    legacy = tmp_path / PREFIX / ENDPOINT / "AllTraffic" / "2026" / "11" / "27" / "10" / "a.jsonl"
    legacy.parent.mkdir(parents=True)
    legacy.write_text("\n".join(capture_lines(shop, draw(np.random.default_rng(5), 30))) + "\n")
    store = DirectoryStore(tmp_path)
    models = {s.signature.artifact_sha256: (s.baseline, s.signature) for s in (shop, other_shop)}
    # When it is read with both baselines
    reading = drift.read_capture(store, PREFIX, models)
    # Then each model has its report, of its own records only
    first = reading.reports[shop.signature.artifact_sha256]
    second = reading.reports[other_shop.signature.artifact_sha256]
    assert (first.records, first.rows, first.level) == (100, 1000, drift.OK)
    assert (second.records, second.rows, second.level) == (200, 2000, drift.ALERT)
    assert reading.unattributed == 3 and not reading.without_baseline
    # And with the first's baseline only, the second's lines are counted, not read
    alone = drift.read_capture(
        store, PREFIX, {shop.signature.artifact_sha256: models[shop.signature.artifact_sha256]}
    )
    assert list(alone.reports) == [shop.signature.artifact_sha256]
    assert alone.reports[shop.signature.artifact_sha256].to_json() == first.to_json()
    assert alone.without_baseline == {other_shop.signature.artifact_sha256: 200}


def test_the_window_takes_its_hours_by_key_and_its_bounds_by_time(
    tmp_path: Path, shop: Shop
) -> None:
    # Given capture at 08:15, 10:15 and 12:15
    records = draw(np.random.default_rng(6), 100)
    for hour in (8, 10, 12):
        write_capture(tmp_path, shop, records, ENDPOINT, MOMENT.replace(hour=hour))
    store = DirectoryStore(tmp_path)
    start = MOMENT.replace(hour=9, minute=30)
    end = MOMENT.replace(hour=10, minute=20)
    # When the files of 09:30 to 10:20 are listed, only 10 o'clock's is
    found = list(drift.capture_objects(store, PREFIX, start, end))
    assert [f.hour.hour for f in found] == [10]
    assert found[0].artifact_sha256 == shop.signature.artifact_sha256
    assert found[0].variant == "AllTraffic"
    # And the lines of that hour before the window's start are counted outside it
    later = MOMENT.replace(hour=10, minute=30)
    models = {shop.signature.artifact_sha256: (shop.baseline, shop.signature)}
    reading = drift.read_capture(
        store, PREFIX, models, start=later, end=later + datetime.timedelta(hours=1)
    )
    assert reading.nothing_captured and reading.files == 1


@pytest.mark.parametrize(
    ("key", "sha", "variant"),
    [
        (
            f"{PREFIX}/{'a' * 64}/{ENDPOINT}/AllTraffic/2026/11/27/10/01-02-003-x.jsonl",
            "a" * 64,
            "AllTraffic",
        ),
        (f"{PREFIX}/{ENDPOINT}/Canary/2026/11/27/10/01-02-003-x.jsonl", None, "Canary"),
        (f"{PREFIX}/{'a' * 63}/{ENDPOINT}/AllTraffic/2026/11/27/10/x.jsonl", None, "AllTraffic"),
    ],
)
def test_a_capture_key_names_its_model_variant_and_hour(
    key: str, sha: str | None, variant: str
) -> None:
    found = drift.capture_store.parse_key(key, PREFIX)
    assert found is not None
    assert (found.artifact_sha256, found.variant) == (sha, variant)
    assert found.hour == datetime.datetime(2026, 11, 27, 10, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    "key",
    [
        f"{PREFIX}/notes.txt",
        f"{PREFIX}/{ENDPOINT}/AllTraffic/2026/13/27/10/x.jsonl",
        f"{PREFIX}/{ENDPOINT}/AllTraffic/2026/11/27/x.jsonl",
        f"capture/other/{ENDPOINT}/AllTraffic/2026/11/27/10/x.jsonl",
    ],
)
def test_a_key_not_laid_out_as_capture_is_none(key: str) -> None:
    assert drift.capture_store.parse_key(key, PREFIX) is None


def test_base64_data_that_is_not_base64_is_bad() -> None:
    with pytest.raises(drift.capture.BadRecord):
        drift.capture.decoded({"encoding": "BASE64", "data": "not base64!"})
    assert (
        drift.capture.decoded({"encoding": "BASE64", "data": base64.b64encode(b"1,2").decode()})
        == "1,2"
    )
