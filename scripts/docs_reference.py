"""Write the documentation site's generated reference pages, so they cannot drift from the code:
every command's options from its own argparse, and the HTTP API from the OpenAPI document the
proxy serves for the Iris example.

    python -m scripts.docs_reference [--output docs/reference/generated]

(`make docs` runs it before building the site.)"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import sys
from pathlib import Path
from typing import Any

from foundation.command_help import ends_with_example
from foundation.lambda_code import signature as sig
from foundation.paths import IRIS_SIGNATURE, REPO_ROOT

OUTPUT = REPO_ROOT / "docs" / "reference" / "generated"
# The commands a newcomer meets first, in that order; every other command of scripts/ follows.
FIRST = (
    "train_model", "import_model", "train_job", "run_local", "local_token", "postman_collection",
    "deploy_endpoint", "delete_endpoint", "deploy_api", "register_model", "model_versions",
    "batch_score", "batch_triggers",
)  # fmt: skip


def all_commands() -> tuple[str, ...]:
    """Every module of scripts/ (each is a command with a main), the first ones first."""
    names = sorted(path.stem for path in (REPO_ROOT / "scripts").glob("[!_]*.py"))
    return (*[name for name in FIRST if name in names], *[n for n in names if n not in FIRST])


HTTP_METHODS = ("get", "post", "put", "delete", "options")


def command_help(name: str) -> str:
    """What ``python -m scripts.<name> --help`` prints, taken in this process."""
    module = importlib.import_module(f"scripts.{name}")
    printed = io.StringIO()
    argv0, sys.argv[0] = sys.argv[0], f"python -m scripts.{name}"
    try:
        with contextlib.redirect_stdout(printed), contextlib.suppress(SystemExit):
            module.main(["--help"])
    finally:
        sys.argv[0] = argv0
    return printed.getvalue().rstrip()


def commands_page(names: tuple[str, ...] | None = None) -> str:
    lines = [
        "# Commands",
        "",
        "Every command's options, as its `--help` prints them (generated from its argparse by",
        "`python -m scripts.docs_reference`). Run them as `.venv/bin/python -m scripts.<command>`",
        "after `make setup`.",
        "",
    ]
    for name in names or all_commands():
        lines += [f"## {name}", "", "```text", command_help(name), "```", ""]
    return "\n".join(lines)


def _type_of(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return (
            f"[{schema['$ref'].rsplit('/', 1)[-1]}](#{schema['$ref'].rsplit('/', 1)[-1].lower()})"
        )
    if "anyOf" in schema:
        return " or ".join(_type_of(option) for option in schema["anyOf"])
    if schema.get("type") == "array":
        return f"array of {_type_of(schema.get('items', {}))}"
    if "enum" in schema:
        return "one of " + ", ".join(f"`{value}`" for value in schema["enum"])
    return str(schema.get("type", "any"))


def _bounds(schema: dict[str, Any]) -> str:
    keys = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems")
    return ", ".join(f"{key} {schema[key]}" for key in keys if key in schema)


def _schema_section(name: str, schema: dict[str, Any]) -> list[str]:
    lines = [f"### {name}", ""]
    if schema.get("description"):
        lines += [" ".join(schema["description"].split()), ""]
    properties = schema.get("properties", {})
    if not properties:
        return [*lines, f"Type: {_type_of(schema)}.", ""]
    required = set(schema.get("required", []))
    lines += ["| field | type | required | bounds |", "|---|---|---|---|"]
    for field, spec in properties.items():
        yes = "yes" if field in required else ""
        lines.append(f"| `{field}` | {_type_of(spec)} | {yes} | {_bounds(spec)} |")
    return [*lines, ""]


def http_api_page(document: dict[str, Any]) -> str:
    lines = [
        "# HTTP API",
        "",
        "Generated from the OpenAPI document the proxy serves at `GET /openapi.json` for the Iris",
        "example (100 records a batch, 65,536 bytes a body). A stage serves the same document for",
        "its own model: `make run` shows it live at the demo page's `api.html`.",
        "",
    ]
    for path, operations in document["paths"].items():
        for method in HTTP_METHODS:
            if method not in operations:
                continue
            operation = operations[method]
            lines += [f"## `{method.upper()} {path}`", "", operation.get("summary", ""), ""]
            for example in (
                operation.get("requestBody", {})
                .get("content", {})
                .get("application/json", {})
                .get("examples", {})
                .values()
            ):
                lines += [f"{example['summary']}:", "", "```json"]
                lines += [json.dumps(example["value"]), "```", ""]
            lines += ["| status | meaning |", "|---|---|"]
            for status, answer in operation["responses"].items():
                lines.append(f"| {status} | {answer['description']} |")
            lines.append("")
    lines += ["## Schemas", ""]
    for name, schema in document["components"]["schemas"].items():
        lines += _schema_section(name, schema)
    return "\n".join(lines)


def write_pages(output: Path = OUTPUT) -> list[Path]:
    from chalicelib.openapi import openapi_document

    document = openapi_document(sig.load_signature(IRIS_SIGNATURE), 100, 65536)
    output.mkdir(parents=True, exist_ok=True)
    pages = {"commands.md": commands_page(), "http-api.md": http_api_page(document)}
    for name, text in pages.items():
        (output / name).write_text(text + "\n", encoding="utf-8")
    return [output / name for name in pages]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.docs_reference",
        description=__doc__,
        **ends_with_example(
            "python -m scripts.docs_reference && .venv-docs/bin/mkdocs build --strict"
        ),
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help="default: %(default)s")
    parser.add_argument("--quiet", action="store_true", help="say nothing when all went well")
    args = parser.parse_args(argv)
    for page in write_pages(args.output):
        if not args.quiet:
            print(f"wrote {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
