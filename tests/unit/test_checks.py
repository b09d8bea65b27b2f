"""How the commands word an AWS failure in one line."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from provisioning.checks import one_line

FLASK_500 = "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>"


def web_page(status: str) -> ClientError:
    return ClientError({"Error": {"Code": status, "Message": FLASK_500}}, "UpdateEndpoint")


def test_a_stand_in_failing_on_a_call_it_lacks_is_named_as_such(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # moto_server answers UpdateEndpoint, which it does not implement, with Flask's 500 page
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    said = one_line(web_page("500"))
    assert said.startswith("UpdateEndpoint: the service at AWS_ENDPOINT_URL failed on it")
    assert "may not implement UpdateEndpoint" in said


def test_a_web_page_that_is_not_a_failure_is_not_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    assert "the answer was not AWS's (HTTP 200, a web page)" in one_line(web_page("200"))
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    assert "the answer was not AWS's (HTTP 500, a web page)" in one_line(web_page("500"))
