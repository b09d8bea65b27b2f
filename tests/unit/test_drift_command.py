"""``scripts.drift_report`` in process, on a capture folder: a model without a baseline named
with how to make one, a window that holds nothing, bad arguments; each one line and its exit
code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scripts import drift_report
from tests.drift_traffic import draw, make_shop, write_capture

ENDPOINT = "iris-xgboost"  # the local stage's endpoint (chalice_app/.chalice)


def test_a_model_without_a_baseline_is_named_with_how_to_make_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the capture of a model whose baseline is nowhere the command looks
    shop = make_shop(tmp_path / "shop")
    shop.artifact.with_name("model.baseline.json").unlink()
    write_capture(tmp_path / "capture", shop, draw(np.random.default_rng(1), 100), ENDPOINT)
    # When it is reported
    code = drift_report.main(
        ["--stage", "local", "--capture", str(tmp_path / "capture"), "--baseline", str(tmp_path),
         "--from", "2026-11-27T10:00", "--to", "2026-11-27T11:00"]
    )  # fmt: skip
    # Then one line names the model and how to make its baseline, exit 2
    out = capsys.readouterr().out
    sha = shop.signature.artifact_sha256
    assert code == 2
    assert (
        f"model {sha[:12]}: 10 lines captured and no baseline: make one with python -m "
        "scripts.make_baseline --model ARTIFACT --data DATA.csv"
    ) in out


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--stage", "nowhere"], "drift_report: no stage 'nowhere'"),
        (
            ["--stage", "local"],
            "drift_report: the local stage captures into a folder: pass --capture DIR",
        ),
        (
            ["--stage", "local", "--since", "1h", "--from", "2026-11-27T10:00"],
            "drift_report: give --since, or --from and --to, not both",
        ),
        (
            ["--stage", "local", "--from", "2026-11-27T10:00", "--to", "2026-11-27T09:00"],
            "drift_report: the window ends before it starts",
        ),
        (
            ["--stage", "local", "--psi-warn", "0.5", "--psi-alert", "0.2"],
            "drift_report: --psi-warn is above --psi-alert",
        ),
        (
            ["--stage", "local", "--capture", "/no/such/folder"],
            "drift_report: --capture /no/such/folder: no such folder",
        ),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    arguments: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert drift_report.main(arguments) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(said) and captured.err.count("\n") == 1 and captured.out == ""


def test_a_window_that_holds_nothing_is_one_line_and_exit_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = drift_report.main(
        ["--stage", "local", "--capture", str(tmp_path), "--from", "2026-11-27T10:00",
         "--to", "2026-11-27T11:00"]
    )  # fmt: skip
    assert code == 0
    assert capsys.readouterr().out == (
        f"nothing captured for endpoint {ENDPOINT} from 2026-11-27 10:00 to 2026-11-27 11:00 UTC "
        f"({tmp_path})\n"
    )
