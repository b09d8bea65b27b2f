"""Every command's --help ends with an example, and the example's options are ones the command
has (parsed by its own argparse, stopped before it does anything)."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import shlex
import sys

import pytest

from scripts.docs_reference import all_commands


class Parsed(Exception):
    """Raised where a command would start its work: its options parsed."""


def help_of(name: str) -> str:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), pytest.raises(SystemExit):
        importlib.import_module(f"scripts.{name}").main(["--help"])
    return printed.getvalue()


@pytest.mark.parametrize("name", all_commands())
def test_help_ends_with_an_example_the_command_takes(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = help_of(name).rstrip().splitlines()
    assert said[-2] == "example:", said[-3:]
    example = shlex.split(said[-1].split("&&")[0])
    assert f"scripts.{name}" in said[-1]
    if example[:2] != ["python", "-m"]:
        return  # a command used inside another (a token in a curl)
    original = argparse.ArgumentParser.parse_args

    def parse_then_stop(self, args=None, namespace=None):  # type: ignore[no-untyped-def]
        original(self, args, namespace)
        raise Parsed

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", parse_then_stop)
    monkeypatch.setattr(sys, "argv", [example[2]])
    with pytest.raises(Parsed):
        importlib.import_module(example[2]).main(example[3:])
