"""A Postman collection (v2.1) and a local environment for the model a signature describes: a
prediction and a batch from its examples (each checked against the model's own answer), both
health checks, the OpenAPI document and the main errors, each with tests of status and body.
Written by scripts.postman_collection, and by scripts.deploy_endpoint when a stage's API changes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from foundation.files import write_atomically
from foundation.lambda_code import answers, validation
from foundation.lambda_code import signature as sig

COLLECTION = "sagemaker-proxy.postman_collection.json"
ENVIRONMENT = "local.postman_environment.json"
SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
# A batch one record larger than the default MAX_BATCH_SIZE, a body larger than MAX_BODY_BYTES.
OVER_BATCH = 101
OVER_BODY_BYTES = 70_000
# How far a value may be from the model's own: float32 printed and read back.
VALUE_TOLERANCE = 1e-4

API_KEY_SCRIPT = [
    "// Deployed stages that require an API key read it from x-api-key.",
    'const apiKey = pm.environment.get("apiKey") || pm.collectionVariables.get("apiKey");',
    'if (apiKey) { pm.request.headers.upsert({ key: "x-api-key", value: apiKey }); }',
    "// Stages that sign in take the user's access token as a bearer token.",
    'const token = pm.environment.get("token") || pm.collectionVariables.get("token");',
    'if (token) { pm.request.headers.upsert({ key: "Authorization", value: `Bearer ${token}` }); }',
]
ERROR_TESTS = [
    'pm.test("the error names its request id", () => pm.expect(body.RequestId).to.eql(pm.response.headers.get("X-Request-Id")));',
    # An account id is 12 digits; a request id (a UUID) may end in 12 digits too, so it goes first.
    'pm.test("nothing internal leaks", () => pm.expect(pm.response.text().replace(/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}/g, "")).not.to.match(/Traceback|arn:aws|\\d{12}/));',
]


def _js(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _request(
    name: str, method: str, path: str, description: str, tests: list[str], body: str | None = None,
    content_type: str = "application/json", prerequest: list[str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    route, _, query = path.partition("?")
    url: dict[str, Any] = {
        "raw": "{{baseUrl}}" + path, "host": ["{{baseUrl}}"], "path": route.strip("/").split("/")
    }  # fmt: skip
    if query:
        url["query"] = [
            {"key": key, "value": value}
            for key, _, value in (pair.partition("=") for pair in query.split("&"))
        ]
    request: dict[str, Any] = {
        "method": method,
        "header": [],
        "url": url,
        "description": description,
    }
    if body is not None:
        request["header"] = [{"key": "Content-Type", "value": content_type}]
        request["body"] = {"mode": "raw", "raw": body}
    events = [{"listen": "test", "script": {"type": "text/javascript", "exec": tests}}]
    if prerequest:
        events.insert(0, {"listen": "prerequest", "script": {"type": "text/javascript",
                                                             "exec": prerequest}})  # fmt: skip
    return {"name": name, "request": request, "event": events}


def _status(code: int) -> str:
    return f'pm.test("status is {code}", () => pm.response.to.have.status({code}));'


def _error(code: int, error: str, checks: list[str]) -> list[str]:
    return [
        _status(code),
        "const body = pm.response.json();",
        f'pm.test("error code is {error}", () => pm.expect(body.Code).to.eql("{error}"));',
        *ERROR_TESTS,
        *checks,
    ]


def _prediction_checks(signature: sig.Signature, expected: list[dict[str, Any]]) -> list[str]:
    """Each prediction is the model's own answer for its record (made when it was imported)."""
    keys = sorted(expected[0])
    checks = [
        f'pm.test("one prediction per record", () => pm.expect(body.predictions).to.have.lengthOf({len(expected)}));',
        f'pm.test("each holds {", ".join(keys)}", () => body.predictions.forEach(p => pm.expect(Object.keys(p).sort()).to.eql({_js(keys)})));',
    ]
    if signature.answer in (sig.Answer.QUANTILES, sig.Answer.VALUES):
        checks.extend(_named_checks(signature, expected))
    elif signature.is_classifier:
        labels = [prediction["label"] for prediction in expected]
        checks.append(
            f'pm.test("the model\'s own labels, in order", () => pm.expect(body.predictions.map(p => p.label)).to.eql({_js(labels)}));'
        )
    else:
        values = [prediction["value"] for prediction in expected]
        checks.append(
            f'pm.test("the model\'s own values, in order", () => {_js(values)}.forEach((v, i) => pm.expect(body.predictions[i].value).to.be.closeTo(v, {VALUE_TOLERANCE} * Math.max(1, Math.abs(v)))));'
        )
    if "probabilities" in keys:
        checks.append(
            f'pm.test("a probability for every class, summing to 1", () => body.predictions.forEach(p => {{ pm.expect(Object.keys(p.probabilities)).to.have.members({_js(list(signature.labels))}); pm.expect(Object.values(p.probabilities).reduce((a, b) => a + b, 0)).to.be.closeTo(1, 1e-6); }}));'
        )
    return checks


def _named_checks(signature: sig.Signature, expected: list[dict[str, Any]]) -> list[str]:
    """A model of several outputs: every quantile level or target by its name, each number the
    model's own."""
    key = str(signature.answer)  # "quantiles" or "values", the prediction's one key
    names = list(signature.outputs)
    what = "quantile" if signature.answer is sig.Answer.QUANTILES else "target"
    rows = [prediction[key] for prediction in expected]
    return [
        # Members, not order: a JavaScript object puts integer-like keys ("2", "10") first.
        f'pm.test("every {what} by name", () => body.predictions.forEach(p => pm.expect(Object.keys(p.{key})).to.have.members({_js(names)})));',
        f'pm.test("the model\'s own {key}, in order", () => {_js(rows)}.forEach((row, i) => Object.entries(row).forEach(([name, v]) => pm.expect(body.predictions[i].{key}[name], `${{name}} of prediction ${{i}}`).to.be.closeTo(v, {VALUE_TOLERANCE} * Math.max(1, Math.abs(v))))));',
    ]


def _wrong_value(feature: sig.Feature) -> tuple[Any, str]:
    """A value of the wrong type for the feature, and what the API says of it."""
    if feature.type == sig.BOOLEAN:
        return 1, "Input should be a valid boolean"
    if feature.type == sig.CATEGORICAL:
        # A category's code in place of its name: the API takes names only.
        return 1, validation.categories_message(feature.categories or ())
    return "12", "Input should be a valid number"


def _unknown_category(feature: sig.Feature) -> str:
    """A name that is none of the feature's categories."""
    name, names = "unknown", set(feature.categories or ())
    while name in names:
        name += "?"
    return name


def _category_item(feature: sig.Feature, first: dict[str, Any]) -> dict[str, Any]:
    unknown = _unknown_category(feature)
    reason = validation.categories_message(feature.categories or ())
    return _request(
        "Error: an unknown category", "POST", "/predict",
        f"{feature.name} given as {unknown!r}, none of its names: the answer lists them.",
        _error(400, "BadRequestError", [f"pm.test(\"lists the allowed names, not the one sent\", () => pm.expect(body.Errors).to.eql([{{field: {_js(feature.name)}, reason: {_js(reason)}}}]));"]),
        json.dumps({**first, feature.name: unknown}, indent=2, ensure_ascii=False),
    )  # fmt: skip


def collection(signature: sig.Signature, title: str) -> dict[str, Any]:
    if not signature.examples:
        raise ValueError("the signature has no examples to send")
    records = [example["record"] for example in signature.examples]
    expected = [
        dict(prediction)
        for prediction in answers.AnswerReader(signature).label(
            [example["score"] for example in signature.examples]
        )
    ]
    first = records[0]
    feature = signature.features[0]
    wrong, reason = _wrong_value(feature)
    required = next((f for f in signature.features if not f.optional), None)
    items = [
        _request("Health", "GET", "/health", "Liveness of the proxy; calls nothing upstream.", [
            _status(200),
            "pm.test(\"the proxy is up\", () => pm.expect(pm.response.json()).to.eql({status: \"ok\"}));",
            "pm.test(\"every answer has a request id\", () => pm.expect(pm.response.headers.get(\"X-Request-Id\")).to.be.a(\"string\").and.not.empty);",
        ]),
        _request("Health, deep", "GET", "/health?deep=true", "Also asks SageMaker (DescribeEndpoint) whether the endpoint is InService; 503 otherwise.", [
            _status(200),
            "pm.test(\"the endpoint is InService\", () => pm.expect(pm.response.json().endpoint_status).to.eql(\"InService\"));",
        ]),
        _request("Predict one record", "POST", "/predict", "The first example record of the model's signature.", [
            _status(200),
            "const body = pm.response.json();",
            *_prediction_checks(signature, expected[:1]),
            "pm.test(\"request id in body and header agree\", () => pm.expect(body.request_id).to.eql(pm.response.headers.get(\"X-Request-Id\")));",
        ], json.dumps(first, indent=2, ensure_ascii=False)),
        _request("Predict a batch", "POST", "/predict", "Every example record of the model's signature, answered in order.", [
            _status(200),
            "const body = pm.response.json();",
            *_prediction_checks(signature, expected),
            "pm.test(\"names the variant that answered\", () => pm.expect(body.variant).to.be.a(\"string\"));",
        ], json.dumps({"instances": records}, indent=2, ensure_ascii=False)),
        _request("OpenAPI document", "GET", "/openapi.json", "The API's description, this model's records and answers in it.", [
            _status(200),
            "const doc = pm.response.json();",
            "pm.test(\"OpenAPI 3.1 with the predict route\", () => { pm.expect(doc.openapi).to.eql(\"3.1.0\"); pm.expect(doc.paths).to.have.property(\"/predict\"); });",
            f"pm.test(\"the record's features are this model's\", () => pm.expect(Object.keys(doc.components.schemas.Record.properties)).to.eql({_js(list(signature.feature_names))}));",
        ]),
        _request("Error: body is not JSON", "POST", "/predict", "A body cut short.",
                 _error(400, "BadRequestError", ["pm.test(\"lists the problem\", () => pm.expect(body.Errors).to.be.an(\"array\").that.is.not.empty);"]),
                 json.dumps(first, ensure_ascii=False)[:-1] + ","),
        _request("Error: a value of the wrong type", "POST", "/predict", f"{feature.name} given as {wrong!r}.",
                 _error(400, "BadRequestError", [f"pm.test(\"names the field and the reason, not the value\", () => pm.expect(body.Errors).to.eql([{{field: {_js(feature.name)}, reason: {_js(reason)}}}]));"]),
                 json.dumps({**first, feature.name: wrong}, indent=2, ensure_ascii=False)),
        _request("Error: unknown field", "POST", "/predict", "A field the model does not take.",
                 _error(400, "BadRequestError", ["pm.test(\"names the unknown field\", () => pm.expect(body.Errors.map(e => e.field)).to.include(\"not a feature\"));"]),
                 json.dumps({**first, "not a feature": 1}, indent=2, ensure_ascii=False)),
        _request("Error: batch over the maximum", "POST", "/predict", f"{OVER_BATCH} records, over the default MAX_BATCH_SIZE.",
                 _error(400, "BadRequestError", ["pm.test(\"names the batch\", () => pm.expect(body.Errors[0].field).to.eql(\"instances\"));"]),
                 "{{oversizedBatch}}", prerequest=[
                     f"const record = {_js(first)};",
                     f"pm.variables.set(\"oversizedBatch\", JSON.stringify({{instances: Array({OVER_BATCH}).fill(record)}}));",
                 ]),
        _request("Error: body over the size limit", "POST", "/predict", f"{OVER_BODY_BYTES:,} bytes, over the default MAX_BODY_BYTES.",
                 _error(413, "PayloadTooLargeError", ["pm.test(\"names the setting that raises the limit\", () => pm.expect(body.Message).to.include(\"MAX_BODY_BYTES\"));"]), "{{hugeBody}}", prerequest=[
                     f"pm.variables.set(\"hugeBody\", JSON.stringify({{padding: \"x\".repeat({OVER_BODY_BYTES})}}));",
                 ]),
        _request("Error: not JSON content type", "POST", "/predict", "CSV is what the model reads, not what the API takes.",
                 _error(415, "UnsupportedMediaType", []), "1,2,3", content_type="text/csv"),
    ]  # fmt: skip
    if required is not None:
        without = {name: value for name, value in first.items() if name != required.name}
        items.insert(7, _request(
            "Error: a feature missing", "POST", "/predict", f"{required.name} left out; it may not be.",
            _error(400, "BadRequestError", [f"pm.test(\"names the missing feature\", () => pm.expect(body.Errors).to.eql([{{field: {_js(required.name)}, reason: \"Field required\"}}]));"]),
            json.dumps(without, indent=2, ensure_ascii=False),
        ))  # fmt: skip
    categorical = next((f for f in signature.features if f.type == sig.CATEGORICAL), None)
    if categorical is not None:
        items.insert(items.index(next(i for i in items if i["name"] == "Error: unknown field")),
                     _category_item(categorical, first))  # fmt: skip
    return {
        "info": {
            "name": title,
            "description": "The proxy's API for one model: predictions of its example records "
            "(checked against the model's own answers), health, and the main error cases, each "
            "with tests. Set baseUrl (and apiKey for a stage that requires one, token for a "
            "stage that signs in) in an environment.",
            "schema": SCHEMA,
        },
        "event": [
            {"listen": "prerequest", "script": {"type": "text/javascript", "exec": API_KEY_SCRIPT}}
        ],
        "variable": [
            {"key": "baseUrl", "value": "http://127.0.0.1:8000"},
            {"key": "apiKey", "value": ""},
            {"key": "token", "value": ""},
        ],
        "item": items,
    }


def environment(title: str) -> dict[str, Any]:
    return {
        "name": f"{title}: local",
        "values": [
            {
                "key": "baseUrl",
                "value": "http://127.0.0.1:8000",
                "type": "default",
                "enabled": True,
            },
            {"key": "apiKey", "value": "", "type": "secret", "enabled": True},
            {"key": "token", "value": "", "type": "secret", "enabled": True},
        ],
        "_postman_variable_scope": "environment",
    }


def write(signature: sig.Signature, output: Path, title: str) -> list[Path]:
    files = {COLLECTION: collection(signature, title), ENVIRONMENT: environment(title)}
    written = []
    for name, document in files.items():
        path = output / name
        write_atomically(path, (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode())
        written.append(path)
    return written
