"""What API Gateway adds in front of the Lambda for a deployed stage, as a template to merge
into ``chalice package``'s: API key and usage plan, CORS on the gateway's own errors, throttling.

Settings come from two files beside each other in ``chalice_app/.chalice/``: ``gateway.json``
(key, rates, quota) and Chalice's ``config.json`` (CORS origin, reserved concurrency, which
Chalice writes into the template itself, and the endpoint type), so each fact has one home.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from foundation.paths import CHALICE_CONFIG_DIR, CHALICE_DIR
from provisioning.api.functions import named_functions
from provisioning.api.monitoring import monitoring_resources
from provisioning.naming import stack_name

# API Gateway's REST integration limit; the proxy's own budget stays under it (DESIGN.md).
INTEGRATION_TIMEOUT_MS = 29_000
# The gateway's own errors (403 missing key, 429 throttled, 413, 504...) in the proxy's shape.
ERROR_TEMPLATE = (
    '{"Code": "$context.error.responseType", "Message": $context.error.messageString, '
    '"RequestId": "$context.requestId"}'
)


@contextmanager
def chalice_app_importable() -> Iterator[None]:
    """Lets ``app`` and ``chalicelib`` be imported, as Lambda would (importing makes no AWS call)."""
    sys.path.insert(0, str(CHALICE_DIR))
    try:
        yield
    finally:
        sys.path.remove(str(CHALICE_DIR))


class GatewayConfigError(ValueError):
    pass


@dataclass(frozen=True)
class GatewaySettings:
    stage: str
    api_key_required: bool
    rate_limit: float
    burst_limit: int
    daily_quota: int
    # The origins browsers may call from; the first also goes on the gateway's own errors.
    cors_origins: tuple[str, ...]
    reserved_concurrency: int
    # What the alarms and the dashboard watch (provisioning.api.monitoring).
    endpoint_name: str = ""
    lambda_timeout: int = 25
    api_stage: str = "api"
    metrics_namespace: str = "SageMakerProxy"
    # Where alarms send mail (an SNS topic with an email subscription); none: no topic.
    alarm_email: str | None = None
    # The stage's variables (config.json's top level, then the stage's): what app.py sees.
    environment: dict[str, str] = field(default_factory=dict)
    # A production stage (gateway.json "production"): never behind an API key alone.
    production: bool = False

    @property
    def gateway_error_origin(self) -> str:
        """A gateway response's headers are literals or request parameters, with no condition:
        one literal origin, or the request's Origin for every caller (any site could then read
        the gateway's errors). So they carry the first listed origin, the production site's;
        pages on the other origins see the gateway's own 403, 429 and 504 as network errors
        (their answers from the proxy itself carry their own origin)."""
        return self.cors_origins[0]

    def sign_in(self) -> str:
        """How callers sign in on this stage (chalicelib/signin/auth.py's AUTH_MODE), as read by the
        Lambda; GatewayConfigError for settings the Lambda would refuse."""
        with chalice_app_importable():
            from chalicelib.settings import ConfigurationError
            from chalicelib.signin.auth import AuthSettings

        try:
            return AuthSettings.from_environ(self.environment).mode
        except ConfigurationError as error:
            raise GatewayConfigError(f"stage {self.stage}: {error}") from None

    @property
    def only_gate_is_the_api_key(self) -> bool:
        return self.sign_in() == "none"

    @classmethod
    def load(
        cls, stage: str, config_dir: Path = CHALICE_CONFIG_DIR, alarm_email: str | None = None
    ) -> GatewaySettings:
        """``alarm_email``: ALARM_EMAIL at `make deploy`, else the stage's ``alarm_email``."""
        gateway = json.loads((config_dir / "gateway.json").read_text())
        chalice = json.loads((config_dir / "config.json").read_text())
        if stage not in gateway or stage not in chalice.get("stages", {}):
            raise GatewayConfigError(
                f"stage {stage!r} needs an entry in gateway.json and config.json"
            )
        ours, theirs = gateway[stage], chalice["stages"][stage]
        environment = {
            **chalice.get("environment_variables", {}),
            **theirs.get("environment_variables", {}),
        }
        endpoint_type = theirs.get(
            "api_gateway_endpoint_type", chalice.get("api_gateway_endpoint_type")
        )
        if endpoint_type != "REGIONAL":
            # Edge-optimized APIs cannot raise the 29 s integration timeout; regional ones can.
            raise GatewayConfigError(f"stage {stage}: api_gateway_endpoint_type must be REGIONAL")
        settings = cls(
            stage=stage,
            api_key_required=bool(ours["api_key_required"]),
            rate_limit=float(ours["rate_limit"]),
            burst_limit=int(ours["burst_limit"]),
            daily_quota=int(ours["daily_quota"]),
            cors_origins=_origins(stage, environment),
            reserved_concurrency=int(theirs.get("reserved_concurrency", 0)),
            endpoint_name=environment.get("SAGEMAKER_ENDPOINT_NAME", ""),
            lambda_timeout=int(theirs.get("lambda_timeout", chalice.get("lambda_timeout", 60))),
            api_stage=theirs.get("api_gateway_stage", chalice.get("api_gateway_stage", "api")),
            metrics_namespace=environment.get("METRICS_NAMESPACE") or "SageMakerProxy",
            alarm_email=alarm_email
            or os.environ.get("ALARM_EMAIL")
            or ours.get("alarm_email")
            or None,
            environment=environment,
            production=bool(ours.get("production", False)),
        )
        settings.sign_in()  # a stage whose sign-in settings are wrong is refused here
        if min(settings.rate_limit, settings.burst_limit, settings.daily_quota) <= 0:
            raise GatewayConfigError(f"stage {stage}: rate, burst and quota must be positive")
        if settings.reserved_concurrency <= 0:
            raise GatewayConfigError(f"stage {stage}: set reserved_concurrency in config.json")
        if not settings.cors_origins:
            raise GatewayConfigError(f"stage {stage}: CORS_ALLOW_ORIGINS names no origin")
        if settings.alarm_email and not re.fullmatch(
            r"[^@\s]+@[^@\s]+\.[^@\s]+", settings.alarm_email
        ):
            raise GatewayConfigError(
                f"stage {stage}: ALARM_EMAIL {settings.alarm_email!r} is not an address"
            )
        return settings


def _origins(stage: str, environment: dict[str, str]) -> tuple[str, ...]:
    """The stage's origins, read as the Lambda reads them (chalicelib.cors)."""
    with chalice_app_importable():
        from chalicelib.cors import allowed_origins

    try:
        return allowed_origins(environment)
    except ValueError as error:
        raise GatewayConfigError(f"stage {stage}: {error}") from None


def gateway_responses(origin: str) -> dict[str, Any]:
    """The gateway's own 4XX and 5XX answers with the stage's CORS headers and the proxy's
    error shape. In the OpenAPI body (not as separate resources) so that every deployment of
    the API carries them."""
    with chalice_app_importable():
        # The proxy's own answers expose the same headers to browsers.
        from chalicelib.cors import EXPOSED_HEADERS
        from chalicelib.signin.auth import challenge

    unauthorized_challenge = challenge()

    # Values are API Gateway mapping expressions: literals in single quotes. A gateway response
    # maps only request parameters and literals ("x-amazon-apigateway-gateway-responses.
    # responseParameters object", API Gateway Developer Guide), not context variables, so the
    # request id travels in the body ($context works in mapping templates) and in the
    # x-amzn-RequestId header API Gateway adds to every answer.
    headers = {
        "gatewayresponse.header.Access-Control-Allow-Origin": f"'{origin}'",
        "gatewayresponse.header.Access-Control-Expose-Headers": f"'{EXPOSED_HEADERS}'",
        "gatewayresponse.header.Vary": "'Origin'",
    }
    responses: dict[str, dict[str, Any]] = {
        kind: {
            "responseParameters": headers,
            "responseTemplates": {"application/json": ERROR_TEMPLATE},
        }
        for kind in ("DEFAULT_4XX", "DEFAULT_5XX")
    }
    # A missing or bad token at the Cognito authorizer: the challenge RFC 6750 asks of a 401,
    # as the proxy's own 401 carries it (chalicelib/signin/auth.py).
    responses["UNAUTHORIZED"] = {
        "statusCode": "401",
        "responseParameters": {
            **headers,
            "gatewayresponse.header.WWW-Authenticate": f"'{unauthorized_challenge}'",
        },
        "responseTemplates": {"application/json": ERROR_TEMPLATE},
    }
    return responses


def merge_template(
    settings: GatewaySettings, routes: dict[str, dict[str, dict[str, list[str]] | None]]
) -> dict[str, Any]:
    """The template ``chalice package --merge-template`` deep-merges into its own.

    ``routes`` maps each path to its methods (``package.app_routes``), each with the security
    requirement of its authorizer: every method but OPTIONS gets the integration timeout and,
    when required, the API key. The merge replaces lists whole, so an operation's ``security``
    is written here in full: the API key and the route's authorizer, as Chalice writes them
    for ``api_key_required`` with an authorizer. Preflights stay open, because browsers send
    them without credentials.
    """
    paths: dict[str, Any] = {}
    for path, methods in routes.items():
        for method, authorizer in methods.items():
            if method == "OPTIONS":
                continue
            operation: dict[str, Any] = {
                "x-amazon-apigateway-integration": {"timeoutInMillis": INTEGRATION_TIMEOUT_MS}
            }
            security: list[dict[str, list[str]]] = (
                [{"api_key": []}] if settings.api_key_required else []
            )
            if authorizer:
                security.append(authorizer)
            if security:
                operation["security"] = security
            paths.setdefault(path, {})[method.lower()] = operation
    definition: dict[str, Any] = {
        "paths": paths,
        "x-amazon-apigateway-gateway-responses": gateway_responses(settings.gateway_error_origin),
    }
    if settings.api_key_required:
        definition["securityDefinitions"] = {
            "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}
        }
    name = stack_name(settings.stage)
    resources: dict[str, Any] = {
        # Chalice's own name for the stage's function: its policy's log grant names this group.
        "APIHandler": {"Properties": {"FunctionName": name}},
        "RestAPI": {
            "Properties": {
                # The API's name, which its CloudWatch metrics carry as ApiName.
                "Name": name,
                # Any OpenApiVersion keeps SAM from adding a second stage named "Stage", with
                # no throttle and no usage plan (aws/serverless-application-model#191).
                "OpenApiVersion": "3.0.1",
                "DefinitionBody": definition,
                # The stage-wide ceiling, for every caller together.
                "MethodSettings": [
                    {
                        "ResourcePath": "/*",
                        "HttpMethod": "*",
                        "ThrottlingRateLimit": settings.rate_limit,
                        "ThrottlingBurstLimit": settings.burst_limit,
                    }
                ],
            }
        },
        "UsagePlan": {
            "Type": "AWS::ApiGateway::UsagePlan",
            "Properties": {
                "UsagePlanName": name,
                "Description": "Bounds what callers of this stage can cost.",
                "ApiStages": [{"ApiId": {"Ref": "RestAPI"}, "Stage": {"Ref": "RestAPI.Stage"}}],
                "Throttle": {"RateLimit": settings.rate_limit, "BurstLimit": settings.burst_limit},
                "Quota": {"Limit": settings.daily_quota, "Period": "DAY"},
            },
        },
    }
    outputs: dict[str, Any] = {"UsagePlanId": {"Value": {"Ref": "UsagePlan"}}}
    if settings.api_key_required:
        resources["ApiKey"] = {
            "Type": "AWS::ApiGateway::ApiKey",
            "DependsOn": ["UsagePlan"],
            "Properties": {
                "Name": name,
                "Description": "Sent by clients as x-api-key; bound to the usage plan.",
                "Enabled": True,
            },
        }
        resources["UsagePlanKey"] = {
            "Type": "AWS::ApiGateway::UsagePlanKey",
            "Properties": {
                "KeyId": {"Ref": "ApiKey"},
                "KeyType": "API_KEY",
                "UsagePlanId": {"Ref": "UsagePlan"},
            },
        }
        outputs["ApiKeyId"] = {"Value": {"Ref": "ApiKey"}}
    resources.update(named_functions(settings.stage, settings.environment))  # batch, drift
    monitoring, monitoring_outputs = monitoring_resources(settings)
    resources.update(monitoring)
    outputs.update(monitoring_outputs)
    return {"Resources": resources, "Outputs": outputs}
