"""The clients of a model of several outputs per row (#33): the Postman collection its signature
makes, run by newman, and the demo page in Chromium, each against `chalice local` serving a
quantile regression (its levels trained out of order) and a multi-target regression, imported by
the command as a user would. Every number expected is XGBoost's own prediction."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from bench.own_models import OwnModel, run_import_model
from chalicelib.signature import read_signature
from local_sagemaker.stack import Layout, Stack, running_stack
from scripts import postman_collection
from tests.e2e.test_postman import NEWMAN, run_newman
from tests.e2e.test_web_page import CHROMIUM, CHROMIUM_ARGS, open_page
from tests.several_outputs import (
    TARGETS,
    train_multi_target_model,
    train_quantile_model,
    xgboost_rows,
)

# Out of order on purpose: the API answers in the model's order, the page shows level order.
LEVELS = (0.9, 0.1, 0.5)


@dataclasses.dataclass(frozen=True)
class Served:
    own: OwnModel
    stack: Stack
    # The prediction's one key, and the names of its numbers in the model's order.
    key: str
    names: tuple[str, ...]
    # The page's heading for such a prediction, and the order it lists the names in.
    heading: str
    shown: tuple[str, ...]


@pytest.fixture(scope="module", params=["quantiles", "targets"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp(request.param)
    flags: tuple[str, ...] = ()
    names: tuple[str, ...]
    shown: tuple[str, ...]
    if request.param == "quantiles":
        own, names = train_quantile_model(folder / "theirs", LEVELS), ("0.9", "0.1", "0.5")
        key, heading, shown = "quantiles", "Quantiles", ("0.1", "0.5", "0.9")
    else:
        own, names = train_multi_target_model(folder / "theirs"), TARGETS
        flags = ("--targets", ",".join(TARGETS))
        key, heading, shown = "values", "Targets", TARGETS
    imported = run_import_model(own.model, own.example, folder / "model.tar.gz", extra=flags)
    assert imported.returncode == 0, imported.stderr
    with running_stack(folder / "model.tar.gz", Layout.isolated(folder)) as stack:
        yield Served(own, stack, key, names, heading, shown)


def newman_failures(folder: Path, base_url: str, report: Path) -> list[dict]:
    """newman's failed assertions, each as its request, test and message."""
    finished = subprocess.run(
        [
            str(NEWMAN), "run", str(folder / postman_collection.COLLECTION),
            "--environment", str(folder / postman_collection.ENVIRONMENT),
            "--env-var", f"baseUrl={base_url}", "--reporters", "json",
            "--reporter-json-export", str(report),
        ],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert finished.returncode in (0, 1), finished.stderr[-2000:]
    return [
        {
            "request": f["source"]["name"],
            "test": f["error"]["test"],
            "message": f["error"]["message"],
        }
        for f in json.loads(report.read_text())["run"]["failures"]
    ]


def test_the_collection_checks_every_named_number_against_the_models_own(
    served: Served, tmp_path: Path
) -> None:
    # Given the collection the served model's signature makes (as scripts.postman_collection and
    # a deploy that changes the API write it)
    signature = read_signature(served.stack.signature)
    folder = tmp_path / "postman"
    postman_collection.write(signature, folder, served.key)
    collection = json.loads((folder / postman_collection.COLLECTION).read_text())
    # When newman runs it against the stage
    stats = run_newman(folder, served.stack.proxy_url, tmp_path / "newman.json")
    # Then every request ran and every assertion held, those of each named number among them
    assert stats["requests"]["total"] == len(collection["item"])
    assert stats["assertions"]["failed"] == 0
    batch = next(item for item in collection["item"] if item["name"] == "Predict a batch")
    tests = "\n".join(batch["event"][0]["script"]["exec"])
    assert f'pm.test("the model\'s own {served.key}, in order"' in tests
    assert json.dumps(list(served.names)) in tests


def test_a_collection_expecting_another_number_fails_on_that_number(
    served: Served, tmp_path: Path
) -> None:
    # Given the collection of a signature whose second example says one output is 1 higher
    signature = read_signature(served.stack.signature)
    examples = [dict(example) for example in signature.examples]
    score = list(examples[1]["score"])
    score[-1] += 1.0
    examples[1]["score"] = score
    folder = tmp_path / "postman"
    postman_collection.write(
        dataclasses.replace(signature, examples=tuple(examples)), folder, served.key
    )
    # When newman runs it against the stage serving the real model
    failures = newman_failures(folder, served.stack.proxy_url, tmp_path / "newman.json")
    # Then only the batch's check of the model's numbers fails, naming that number and row
    assert [(f["request"], f["test"]) for f in failures] == [
        ("Predict a batch", f"the model's own {served.key}, in order")
    ]
    assert failures[0]["message"].startswith(f"{served.names[-1]} of prediction 1:")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed: `sudo apt-get install chromium`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def shown_outputs(card) -> tuple[list[str], list[float]]:  # type: ignore[no-untyped-def]
    """The names and numbers a prediction's table shows, top to bottom."""
    rows = card.locator("table.outputs tbody tr")
    names = rows.evaluate_all("rows => rows.map(r => r.dataset.name)")
    labels = rows.locator("th").all_inner_texts()
    assert labels == names
    return names, [float(text) for text in rows.locator("td").all_inner_texts()]


def xgboost_named(served: Served, records: list[dict]) -> list[dict[str, float]]:
    """XGBoost's own outputs for the records the page sent, by name."""
    rows = np.array([[record.get(name, np.nan) for name in served.own.names] for record in records])
    return [dict(zip(served.names, row, strict=True)) for row in xgboost_rows(served.own, rows)]


def test_the_page_shows_each_name_and_number(browser, served: Served, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Given the page pointed at the stage, its form filled with the model's first example
    context, page = open_page(browser, served.stack.web_origin, served.stack.proxy_url)
    sent: list[dict] = []
    page.on("request", lambda r: sent.append(r.post_data_json) if r.method == "POST" else None)
    # When the user presses Predict
    page.click("#predict")
    card = page.locator("#results .prediction")
    card.locator("table.outputs").wait_for()
    # Then the card names what it shows, and lists every output by name (quantiles in level
    # order, targets in the model's), each number XGBoost's own to the six digits shown
    assert card.locator("h2").inner_text() == served.heading
    names, numbers = shown_outputs(card)
    assert names == list(served.shown)
    (expected,) = xgboost_named(served, sent)
    assert numbers == pytest.approx([expected[name] for name in names], rel=1e-5)
    assert "undefined" not in page.inner_text("#results")
    assert page.locator("#results .bar").count() == 0
    page.screenshot(path=str(tmp_path / f"demo-page-{served.key}.png"), full_page=True)
    context.close()


def test_a_batch_shows_a_table_per_line(browser, served: Served) -> None:  # type: ignore[no-untyped-def]
    # Given the batch tab, filled with the model's examples as CSV
    context, page = open_page(browser, served.stack.web_origin, served.stack.proxy_url)
    sent: list[dict] = []
    page.on("request", lambda r: sent.append(r.post_data_json) if r.method == "POST" else None)
    page.click("#tab-batch")
    # When the user sends it
    page.click("#predict-batch")
    cards = page.locator("#results .prediction")
    cards.last.locator("table.outputs").wait_for()
    # Then each line gets its card and its table, every number XGBoost's own
    expected = xgboost_named(served, sent[0]["instances"])
    assert cards.count() == len(expected) > 1
    for index, outputs in enumerate(expected):
        card = cards.nth(index)
        assert card.locator("h2").inner_text().endswith(f": {served.heading}")
        names, numbers = shown_outputs(card)
        assert names == list(served.shown)
        assert numbers == pytest.approx([outputs[name] for name in names], rel=1e-5)
    context.close()
