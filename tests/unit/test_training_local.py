"""`training.local`: the built-in algorithm's training as its train.py (v3.0-5) runs it. The
models themselves were compared with the container's own training code outside the suite (the
same bytes for every case; see the README's "Train in SageMaker"); these tests hold the rules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training.local import LOG_TAB, TrainingRefused, channel_matrix, last_metrics, train_channels


def write_channel(
    folder: Path, y: np.ndarray, x: np.ndarray, weights: np.ndarray | None = None
) -> Path:
    folder.mkdir(parents=True)
    columns = (
        [y] + ([weights] if weights is not None else []) + [x[:, i] for i in range(x.shape[1])]
    )
    rows = np.column_stack(columns)
    (folder / "data.csv").write_text(
        "\n".join(",".join(repr(float(v)) for v in row) for row in rows) + "\n"
    )
    return folder


@pytest.fixture
def binary(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 4))
    y = (x[:, 0] + rng.normal(scale=1.5, size=400) > 0).astype(float)
    return (
        write_channel(tmp_path / "train", y[:300], x[:300]),
        write_channel(tmp_path / "validation", y[300:], x[300:]),
    )


def test_early_stopping_keeps_the_best_round_on_the_last_asked_metric(
    binary: tuple[Path, Path],
) -> None:
    # Given a long training that overfits, stopped on validation logloss after 3 rounds without gain
    train, validation = binary
    trained = train_channels(
        train, validation,
        {"objective": "binary:logistic", "num_round": "300", "eta": "0.5", "max_depth": "6",
         "eval_metric": "auc,logloss", "early_stopping_rounds": "3"},
        out=lambda line: None,
    )  # fmt: skip
    # Then it stopped well before 300, and the saved model ends at the best round (save_best)
    rounds = len(trained.log_lines)
    assert rounds < 300
    logloss = [
        float(line.split("validation-logloss:")[1].split(LOG_TAB)[0]) for line in trained.log_lines
    ]
    best = int(np.argmin(logloss))
    assert trained.booster.num_boosted_rounds() == best + 1


def names_logged(trained_line: str) -> list[str]:
    return [cell.split(":")[0] for cell in trained_line.split(LOG_TAB)[1:]]


def test_metrics_are_logged_in_the_order_given(binary: tuple[Path, Path]) -> None:
    # Given xgboost's own metrics only: kept in the order asked (train_utils.py:74)
    values = {"objective": "binary:logistic", "num_round": "2", "eval_metric": "logloss,auc"}
    trained = train_channels(*binary, values, out=lambda line: None)
    assert trained.log_lines[0].startswith("[0]" + LOG_TAB)
    assert names_logged(trained.log_lines[0]) == [
        "train-logloss", "train-auc", "validation-logloss", "validation-auc"
    ]  # fmt: skip


def test_the_containers_own_metrics_are_computed_and_logged_after_xgboosts(
    binary: tuple[Path, Path],
) -> None:
    values = {"objective": "binary:logistic", "num_round": "2", "eval_metric": "auc,accuracy"}
    trained = train_channels(*binary, values, out=lambda line: None)
    assert names_logged(trained.log_lines[0]) == [
        "train-auc", "train-accuracy", "validation-auc", "validation-accuracy"
    ]  # fmt: skip
    # As in the container: XGBoost 3.0.5 hands a custom metric probabilities, and the container
    # takes a class to be "margin > 0" (custom_metrics.py:37-44), so every row counts as
    # positive and its binary accuracy is the share of positive labels.
    labels = channel_matrix(binary[1]).get_label()
    assert trained.final_metrics["validation:accuracy"] == pytest.approx(labels.mean(), abs=1e-5)


def test_csv_weights_reads_the_second_column_as_instance_weights(tmp_path: Path) -> None:
    x = np.arange(12, dtype=float).reshape(4, 3)
    folder = write_channel(
        tmp_path / "train", np.array([0, 1, 0, 1.0]), x, np.array([1, 2, 3, 4.0])
    )
    weighted = channel_matrix(folder, weights=True)
    assert weighted.get_weight().tolist() == [1, 2, 3, 4]
    assert weighted.num_col() == 3
    assert channel_matrix(folder).num_col() == 4  # without it, the weights are a feature


@pytest.mark.parametrize(
    ("values", "said"),
    [
        ({"objective": "binary:logistic", "num_round": "2", "_kfold": "3"}, "one model per fold"),
        ({"objective": "binary:logistic"}, "num_round"),
        ({"objective": "binary:logistic", "num_round": "2", "eta": "2"}, "eta"),
    ],
)
def test_what_the_container_would_refuse_is_refused_before_training(
    binary: tuple[Path, Path], values: dict[str, str], said: str
) -> None:
    with pytest.raises(TrainingRefused, match=said):
        train_channels(*binary, values, out=lambda line: None)


def test_an_empty_validation_channel_is_refused(binary: tuple[Path, Path], tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "data.csv").write_text("")
    with pytest.raises(TrainingRefused, match="no data in validation channel"):
        train_channels(
            binary[0], empty, {"objective": "binary:logistic", "num_round": "2"}, out=print
        )


def test_final_metrics_are_each_metrics_last_logged_value() -> None:
    lines = [
        f"[0]{LOG_TAB}train-aft-nloglik:2.00000{LOG_TAB}validation-error@0.7:0.50000",
        f"[1]{LOG_TAB}train-aft-nloglik:1.00000{LOG_TAB}validation-error@0.7:0.25000",
    ]
    assert last_metrics(lines) == {"train:aft-nloglik": 1.0, "validation:error@0.7": 0.25}
