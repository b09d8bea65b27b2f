"""The API's live reference (`make run` serves examples/web/api.html beside the demo page):
Swagger UI, vendored, reads the running proxy's /openapi.json and sends a request from it."""

from __future__ import annotations

import json

from local_sagemaker.stack import Stack
from tests.e2e.test_web_page import CHROMIUM, CHROMIUM_ARGS, pytestmark  # noqa: F401


def test_the_reference_page_describes_the_running_proxy_and_sends_a_prediction(
    stack: Stack,
) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context().new_page()
        fetched: list[str] = []
        page.on("request", lambda request: fetched.append(request.url))
        # Given the page at the address make run prints, for the running proxy
        page.goto(f"{stack.web_origin}/api.html?api={stack.proxy_url}")
        operation = page.locator("#operations-default-predict")
        operation.wait_for()
        # When the user opens POST /predict and executes its example
        operation.locator(".opblock-summary").click()
        operation.locator("button.execute").click()
        status_cell = operation.locator(
            ".live-responses-table tr.response .response-col_status"
        ).first
        status_cell.wait_for()
        status = status_cell.inner_text().strip()
        answer = json.loads(
            operation.locator(".live-responses-table tr.response .microlight").first.inner_text()
        )
        browser.close()
    # Then the proxy answered the example record, and nothing came from outside loopback
    assert status.startswith("200"), status
    assert answer["predictions"][0]["label"] == "setosa"
    assert all(url.startswith("http://127.0.0.1:") for url in fetched), fetched
