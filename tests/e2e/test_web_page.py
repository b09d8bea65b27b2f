"""The demo page in headless Chromium, against `chalice local` and the local endpoint.

The page is served from the origin the local stage allows, so every call is a real
cross-origin request with a preflight; a second copy from another origin must get nothing.
"""

from __future__ import annotations

import functools
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from foundation import processes
from foundation.paths import REPO_ROOT
from local_sagemaker.stack import Stack

WEB_DIR = REPO_ROOT / "examples" / "web"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Without the background-networking flags Chromium keeps dialling Google on a closed network.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium is not installed: `sudo apt-get install chromium` (.ci/run installs it)",
)


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@functools.cache
def _server_on(port: int) -> str:
    handler = functools.partial(QuietHandler, directory=str(WEB_DIR))
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def open_page(browser, origin: str, proxy_url: str):  # type: ignore[no-untyped-def]
    """The page from ``origin``, pointed at ``proxy_url``, once it has built its form."""
    context = browser.new_context()  # a fresh localStorage for every page
    opened = context.new_page()
    opened.goto(f"{origin}/")
    opened.fill("#api-url", proxy_url)
    opened.dispatch_event("#api-url", "change")
    opened.wait_for_function("!document.querySelector('#predict').disabled")
    return context, opened


def field(name: str) -> str:
    """The input (or select) of a feature in the generated form."""
    return f'#fields .field[data-feature="{name}"] :is(input, select)'


def field_error(name: str) -> str:
    return f'#fields .field[data-feature="{name}"] .field-error'


@pytest.fixture
def page(browser, stack: Stack):  # type: ignore[no-untyped-def]
    context, opened = open_page(browser, stack.web_origin, stack.proxy_url)
    yield opened
    context.close()


def preflights_logged(stack: Stack) -> int:
    routes = [record.get("route") for record in stack.log_records()]
    return routes.count("OPTIONS /predict")


def test_a_record_gets_its_species_and_probability_bars(page, stack: Stack, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Given the form the page built from the API's document, filled with its first example
    # (a setosa)
    names = page.locator("#fields .field").evaluate_all("f => f.map(x => x.dataset.feature)")
    assert names == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert page.input_value(field("sepal_length")) == "5.1"
    preflights_before = preflights_logged(stack)
    # When the user presses Predict
    page.click("#predict")
    # Then the species and a bar for each class appear
    heading = page.locator("#results .prediction h2")
    heading.wait_for()
    assert heading.inner_text() == "setosa"
    bars = page.locator("#results .bar")
    assert bars.count() == 3
    assert sorted(bars.evaluate_all("bars => bars.map(b => b.dataset.label)")) == [
        "setosa",
        "versicolor",
        "virginica",
    ]
    assert page.inner_text("#status") == ""
    # The call was cross-origin: the browser asked first (a new context has an empty
    # preflight cache), and the proxy logs each request before it answers.
    assert preflights_logged(stack) == preflights_before + 1
    page.screenshot(path=str(tmp_path / "demo-page-record.png"), full_page=True)


def test_an_api_key_is_sent_and_the_preflight_allows_it(page) -> None:  # type: ignore[no-untyped-def]
    # A deployed stage needs x-api-key: the browser only sends it if the preflight allows it.
    sent = []
    page.on(
        "request", lambda r: sent.append(r.headers.get("x-api-key")) if r.method == "POST" else None
    )
    page.fill("#api-key", "k3y-for-the-usage-plan")
    page.dispatch_event("#api-key", "change")
    page.click("#predict")
    page.locator("#results .prediction h2").wait_for()
    assert sent == ["k3y-for-the-usage-plan"]
    assert (
        page.evaluate("localStorage.getItem('sagemaker-proxy.apiKey')") == "k3y-for-the-usage-plan"
    )


def test_an_invalid_value_shows_the_apis_reason_by_its_field(page, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page.fill(field("sepal_width"), "-1")
    page.fill(field("petal_length"), "")
    page.click("#predict")
    error = page.locator(field_error("sepal_width"))
    error.wait_for(state="visible")
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('400')")
    assert error.inner_text() == "Input should be greater than 0"
    assert page.inner_text(field_error("petal_length")) == "Field required"
    assert page.get_attribute(field("sepal_width"), "aria-invalid") == "true"
    assert page.inner_text(field_error("sepal_length")) == ""
    assert page.inner_text("#status").startswith("400: The request body is invalid.")
    assert page.locator("#results .prediction").count() == 0
    page.screenshot(path=str(tmp_path / "demo-page-error.png"), full_page=True)


def test_a_batch_of_csv_lines_is_labelled_line_by_line(page) -> None:  # type: ignore[no-untyped-def]
    page.click("#tab-batch")
    page.fill(
        "#batch-csv",
        "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n\n6.7,3.0,5.2,2.3\n",
    )
    page.click("#predict-batch")
    page.locator("#results .prediction").nth(1).wait_for()
    headings = page.locator("#results .prediction h2").all_inner_texts()
    assert headings == ["Line 2: setosa", "Line 4: virginica"]


def test_a_batch_error_names_the_line_and_the_field(page) -> None:  # type: ignore[no-untyped-def]
    page.click("#tab-batch")
    page.fill("#batch-csv", "5.1,3.5,1.4,0.2\n6.7,abc,5.2,2.3\n")
    page.click("#predict-batch")
    page.locator("#batch-errors li").first.wait_for()
    assert page.locator("#batch-errors li").all_inner_texts() == [
        "Line 2, sepal width: Input should be a valid number"
    ]


@pytest.mark.parametrize("which", [1, 2])
def test_a_page_from_each_other_allowed_origin_gets_its_answer(  # type: ignore[no-untyped-def]
    browser, stack: Stack, which: int
) -> None:
    # Given the page served from another origin the stage lists (a dev server's, say)
    origin = stack.allowed_origins[which]
    context, page = open_page(browser, _server_on(int(origin.rsplit(":", 1)[1])), stack.proxy_url)
    # When it asks for a prediction, then the browser lets it read the answer
    page.click("#predict")
    page.locator("#results .prediction h2").wait_for()
    assert page.inner_text("#results .prediction h2") == "setosa"
    context.close()


def test_a_page_from_an_origin_the_stage_does_not_allow_gets_no_answer(  # type: ignore[no-untyped-def]
    browser, stack: Stack, tmp_path: Path
) -> None:
    # Given the same page served from an origin the local stage does not allow
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{_server_on(processes.free_port())}/")
    page.fill("#api-url", stack.proxy_url)
    page.dispatch_event("#api-url", "change")
    # When it asks for the API's description, to build its form
    # Then the browser refuses the answer and the page says why it may have failed
    page.wait_for_function(
        "document.querySelector('#status').textContent.includes('Could not reach the API at "
        + stack.proxy_url
        + "')"
    )
    assert page.inner_text("#status").startswith(f"Could not reach the API at {stack.proxy_url}")
    assert page.locator("#results .prediction").count() == 0
    page.screenshot(path=str(tmp_path / "demo-page-cors.png"), full_page=True)
    context.close()


def test_the_api_url_is_remembered(browser, stack: Stack) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    origin = stack.web_origin
    page.goto(f"{origin}/")
    assert page.input_value("#api-url") == "http://127.0.0.1:8000"  # the default: make run's
    page.fill("#api-url", stack.proxy_url)
    page.dispatch_event("#api-url", "change")
    page.reload()
    assert page.input_value("#api-url") == stack.proxy_url
    context.close()


def test_a_regression_model_gets_its_own_form_and_its_value(browser, diabetes_stack: Stack) -> None:  # type: ignore[no-untyped-def]
    # Given the page pointed at a stage serving the diabetes regression
    context, page = open_page(browser, diabetes_stack.web_origin, diabetes_stack.proxy_url)
    # Then its form has that model's ten features, the optional one marked
    names = page.locator("#fields .field").evaluate_all("f => f.map(x => x.dataset.feature)")
    assert names == ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
    assert "(may be empty)" in page.inner_text('#fields .field[data-feature="s4"] label')
    # When the optional measurement is left empty and the user presses Predict
    page.fill(field("s4"), "")
    page.click("#predict")
    # Then the value comes back, with no bars (a regression has no classes)
    heading = page.locator("#results .prediction h2")
    heading.wait_for()
    assert float(heading.inner_text()) > 0
    assert page.locator("#results .bar").count() == 0
    # And a fractional age is refused by its field
    page.fill(field("age"), "59.5")
    page.click("#predict")
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('400')")
    assert page.inner_text(field_error("age")) == "Input should be a multiple of 1"
    context.close()


def test_a_categorical_feature_is_a_select_of_its_names(browser, shop_stack) -> None:  # type: ignore[no-untyped-def]
    own, stack = shop_stack
    # Given the page pointed at a stage serving a model of categorical features
    context, page = open_page(browser, stack.web_origin, stack.proxy_url)
    # Then each categorical feature is a select of its names, in the model's code order, and
    # the number stays a text field
    for name, categories in own.categories.items():
        options = page.locator(f"{field(name)} option").evaluate_all("o => o.map(x => x.value)")
        assert options == ["", *categories]
        assert page.locator(field(name)).evaluate("e => e.tagName") == "SELECT"
    assert page.locator(field("temperature")).evaluate("e => e.tagName") == "INPUT"
    # When the user picks a colour and a size and presses Predict
    sent: list[dict] = []
    page.on("request", lambda r: sent.append(r.post_data_json) if r.method == "POST" else None)
    page.fill(field("temperature"), "20.5")
    page.select_option(field("color"), "amber")
    page.select_option(field("size"), "XL")
    page.click("#predict")
    heading = page.locator("#results .prediction h2")
    heading.wait_for()
    # Then the names are sent as names, and the label is XGBoost's own for that record
    assert sent == [{"temperature": 20.5, "color": "amber", "size": "XL"}]
    (probability,) = own.predict(sent)
    assert heading.inner_text() == ("stay", "buy")[int(probability > 0.5)]
    # And an empty size is left out (optional), an empty colour named by its field
    page.select_option(field("size"), "")
    page.select_option(field("color"), "")
    page.click("#predict")
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('400')")
    assert page.inner_text(field_error("color")) == "Field required"
    assert sent[-1] == {"temperature": 20.5}
    context.close()
