"""The documentation site: it builds with every warning an error, a broken link, anchor or
missing sample fails the build, and every code sample is a file included from docs/samples/
that these tests run or check (its commands' options parse with the command's own argparse,
its make targets exist, its requests answer as it says against `make run`'s stack)."""

from __future__ import annotations

import argparse
import importlib
import json
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from foundation.paths import REPO_ROOT
from local_sagemaker.stack import Stack

DOCS = REPO_ROOT / "docs"
SAMPLES = DOCS / "samples"
MKDOCS = REPO_ROOT / ".venv-docs" / "bin" / "mkdocs"
FENCE = re.compile(r"^([ \t]*)```(\w*)\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
SNIPPET = re.compile(r'^\s*--8<-- "([^"]+)"\s*$')
# Code blocks that are not samples: a command's output shown as text, a diagram.
NOT_SAMPLES = {"text", "mermaid"}


def build(workdir: Path, edit: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Build a copy of the site in ``workdir`` (``edit``: text appended to pages, by path),
    its samples read from this checkout."""
    assert MKDOCS.exists(), "the docs environment is missing: make setup (or make docs)"
    shutil.copytree(DOCS, workdir / "docs", ignore=shutil.ignore_patterns("generated"))
    subprocess.run(
        [sys.executable, "-m", "scripts.docs_reference", "--quiet",
         "--output", str(workdir / "docs" / "reference" / "generated")],
        cwd=REPO_ROOT, check=True, timeout=120,
    )  # fmt: skip
    for page, text in (edit or {}).items():
        with (workdir / "docs" / page).open("a") as file:
            file.write(text)
    config = (REPO_ROOT / "mkdocs.yml").read_text()
    config = config.replace('base_path: ["."]', f'base_path: ["{REPO_ROOT}"]')
    config = config.replace("site_dir: build/site", f"site_dir: {workdir / 'site'}")
    (workdir / "mkdocs.yml").write_text(config)
    return subprocess.run(
        [str(MKDOCS), "build", "--strict"], cwd=workdir, capture_output=True,
        text=True, timeout=300, check=False, env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin"},
    )  # fmt: skip


def test_the_site_builds_with_warnings_as_errors(tmp_path: Path) -> None:
    built = build(tmp_path)
    assert built.returncode == 0, built.stdout + built.stderr
    assert (tmp_path / "site" / "reference" / "generated" / "commands" / "index.html").exists()


def test_a_link_to_a_missing_anchor_fails_the_build(tmp_path: Path) -> None:
    built = build(tmp_path, {"index.md": "\n[gone](reference/api.md#no-such-heading)\n"})
    assert built.returncode != 0
    assert "does not contain an anchor '#no-such-heading'" in built.stdout + built.stderr


def test_a_missing_sample_file_fails_the_build(tmp_path: Path) -> None:
    built = build(tmp_path, {"index.md": '\n```sh\n--8<-- "docs/samples/gone.sh"\n```\n'})
    assert built.returncode != 0
    assert "docs/samples/gone.sh" in built.stdout + built.stderr


def pages() -> list[Path]:
    return [page for page in DOCS.rglob("*.md") if "generated" not in page.parts]


def test_every_code_sample_is_an_included_file() -> None:
    inline = []
    for page in pages():
        for _, language, body in FENCE.findall(page.read_text()):
            lines = [line for line in body.splitlines() if line.strip()]
            if language in NOT_SAMPLES:
                continue
            if not lines or not all(SNIPPET.match(line) for line in lines):
                inline.append(f"{page.relative_to(DOCS)}: ```{language}")
    assert inline == [], "code written inline instead of included from docs/samples/"


def sample_commands() -> list[tuple[str, list[str]]]:
    """Every command line of the shell samples, joined over continuations, comments dropped."""
    commands = []
    for sample in sorted(SAMPLES.glob("*.sh")):
        text = sample.read_text().replace("\\\n", " ")
        for line in text.splitlines():
            line = line.split(" #", 1)[0].strip()
            if line and not line.startswith("#"):
                words: list[str] = []
                for word in [*shlex.split(line), "&&"]:
                    if word in ("&&", ";", "||"):  # one command of several on a line
                        if words:
                            commands.append((sample.name, words))
                        words = []
                    else:
                        words.append(word)
    return commands


class Parsed(Exception):
    """Raised where a command would start its work: its options parsed."""


def options_parse(module_name: str, args: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    original = argparse.ArgumentParser.parse_args

    def parse_then_stop(self, args=None, namespace=None):  # type: ignore[no-untyped-def]
        original(self, args, namespace)
        raise Parsed

    with monkeypatch.context() as patched:
        patched.setattr(argparse.ArgumentParser, "parse_args", parse_then_stop)
        with pytest.raises(Parsed):
            importlib.import_module(module_name).main(args)


def test_every_sample_command_names_options_its_command_has(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    targets = set(re.findall(r"^([a-z][\w-]*):", (REPO_ROOT / "Makefile").read_text(), re.M))
    checked = 0
    for sample, words in sample_commands():
        if words[0] == "make":
            named = [word for word in words[1:] if "=" not in word] or ["all"]
            assert set(named) <= targets, (sample, words)
            checked += 1
        elif "-m" in words and words[0].endswith("python"):
            module = words[words.index("-m") + 1]
            if module.startswith("scripts."):
                options_parse(module, words[words.index("-m") + 2 :], monkeypatch)
                checked += 1
    assert checked >= 7  # the samples hold at least this many commands: none went unchecked


def test_the_curl_samples_answer_as_they_say(stack: Stack) -> None:
    """Each curl sample against the stack (its address for make run's), and the answer it
    shows in its comment has the same keys and labels."""
    curls = [
        (sample, words)
        for sample, words in sample_commands()
        if words[0] == "curl" and (SAMPLES / sample.replace(".sh", ".json")).exists()
    ]
    assert curls
    for sample, words in curls:
        url = next(word for word in words if word.startswith("http://127.0.0.1:8000"))
        body = words[words.index("-d") + 1]
        answer = requests.post(
            url.replace("http://127.0.0.1:8000", stack.proxy_url),
            data=body, headers={"Content-Type": "application/json"}, timeout=30,
        )  # fmt: skip
        assert answer.status_code == 200, (sample, answer.text)
        shown = json.loads((SAMPLES / sample.replace(".sh", ".json")).read_text())
        assert [p.get("label") for p in answer.json()["predictions"]] == [
            p.get("label") for p in shown["predictions"]
        ]
