"""Stage configuration: every stage's worst case fits API Gateway's 29 s; bad values are caught."""

from __future__ import annotations

import json

import pytest

from chalicelib.settings import API_GATEWAY_TIMEOUT_SECONDS, ConfigurationError, Settings
from tests.support import REPO_ROOT

CONFIG = json.loads((REPO_ROOT / "chalice_app" / ".chalice" / "config.json").read_text())


def stage_environment(stage: str) -> dict[str, str]:
    return {
        **CONFIG["environment_variables"],
        **CONFIG["stages"][stage].get("environment_variables", {}),
    }


@pytest.mark.parametrize("stage", sorted(CONFIG["stages"]))
def test_every_stage_answers_inside_api_gateway_timeout(stage: str) -> None:
    settings = Settings.from_environ(stage_environment(stage))
    assert settings.endpoint_name
    assert settings.worst_case_seconds() < API_GATEWAY_TIMEOUT_SECONDS
    lambda_timeout = CONFIG["stages"][stage].get("lambda_timeout")
    if lambda_timeout is not None:
        # The Lambda outlives the proxy's own budget, and API Gateway outlives the Lambda.
        assert settings.worst_case_seconds() < lambda_timeout < API_GATEWAY_TIMEOUT_SECONDS


def test_worst_case_counts_every_attempt_and_backoff() -> None:
    settings = Settings(endpoint_name="e", connect_timeout=2, read_timeout=8, max_attempts=2)
    # two attempts of 2 s connect + 8 s read, and at most 1 s of backoff between them
    assert settings.worst_case_seconds() == 21


def test_a_budget_past_api_gateway_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="29 s"):
        Settings.from_environ(
            {"SAGEMAKER_READ_TIMEOUT_SECONDS": "20", "SAGEMAKER_MAX_ATTEMPTS": "3"}
        )


@pytest.mark.parametrize("value", ["abc", "0", "-1"])
def test_malformed_numbers_are_refused(value: str) -> None:
    with pytest.raises(ConfigurationError, match="MAX_BATCH_SIZE"):
        Settings.from_environ({"MAX_BATCH_SIZE": value})


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_deployed_stages_use_their_own_narrow_policy(stage: str) -> None:
    stage_config = CONFIG["stages"][stage]
    assert stage_config["autogen_policy"] is False
    assert (
        stage_config.get("api_gateway_endpoint_type", CONFIG.get("api_gateway_endpoint_type"))
        == "REGIONAL"
    )
    policy = json.loads(
        (REPO_ROOT / "chalice_app" / ".chalice" / stage_config["iam_policy_file"]).read_text()
    )
    sagemaker_statements = [
        statement
        for statement in policy["Statement"]
        if any(action.startswith("sagemaker:") for action in statement["Action"])
    ]
    assert len(sagemaker_statements) == 1
    assert sorted(sagemaker_statements[0]["Action"]) == [
        "sagemaker:DescribeEndpoint",
        "sagemaker:InvokeEndpoint",
    ]
    assert sagemaker_statements[0]["Resource"].endswith(
        ":endpoint/" + stage_environment(stage)["SAGEMAKER_ENDPOINT_NAME"]
    )
    assert Settings.from_environ(stage_environment(stage)).cors_allow_origins  # never * (refused)
    # `debug` must stay off: it would send tracebacks to clients.
    assert stage_config.get("debug", False) is False


def test_app_debug_is_off() -> None:
    from app import app

    assert app.debug is False


def test_a_missing_endpoint_name_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="SAGEMAKER_ENDPOINT_NAME"):
        Settings.from_environ({})


BAD_ORIGINS = [
    "*",
    "https://app.example.com/",
    "https://app.example.com/path",
    "app.example.com",
    "//app.example.com",
    "https://*.example.com",
    "HTTPS://APP.EXAMPLE.COM",
    "ftp://app.example.com",
    "https://user@app.example.com",
    "https://app.example.com?x=1",
    "https://app.example.com, *",
]


@pytest.mark.parametrize("raw", BAD_ORIGINS)
def test_an_entry_that_is_not_an_origin_is_refused_with_the_entry(raw: str) -> None:
    environ = {"SAGEMAKER_ENDPOINT_NAME": "e", "CORS_ALLOW_ORIGINS": raw}
    with pytest.raises(ConfigurationError, match=r"CORS_ALLOW_ORIGINS: .* is not an origin"):
        Settings.from_environ(environ)


def test_origins_are_a_comma_separated_list_and_the_old_variable_still_reads() -> None:
    listed = Settings.from_environ(
        {
            "SAGEMAKER_ENDPOINT_NAME": "e",
            "CORS_ALLOW_ORIGINS": "https://a.example, http://localhost:5173",
        }
    )
    assert listed.cors_allow_origins == ("https://a.example", "http://localhost:5173")
    old = Settings.from_environ(
        {"SAGEMAKER_ENDPOINT_NAME": "e", "CORS_ALLOW_ORIGIN": "https://a.example"}
    )
    assert old.cors_allow_origins == ("https://a.example",)
    assert Settings.from_environ({"SAGEMAKER_ENDPOINT_NAME": "e"}).cors_allow_origins == ()


def test_the_local_stage_allows_the_demo_page_and_the_usual_dev_servers() -> None:
    origins = Settings.from_environ(stage_environment("local")).cors_allow_origins
    assert origins[0] == "http://127.0.0.1:8001"  # the demo page `make run` serves
    for port in (5173, 3000):  # Vite, create-react-app
        assert {f"http://localhost:{port}", f"http://127.0.0.1:{port}"} <= set(origins)
