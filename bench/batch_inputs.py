"""What the batch speed bench scores: two models (Iris: 4 features, three classes; a user's
binary model on scikit-learn's breast cancer data: 30 features named as scikit-learn names them),
CSV files of any size for each, clean or with 1 % bad rows of mixed kinds, and the venv of the
pandas script it is compared with."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
from pyarrow import csv as pacsv

from artifacts.packaging import signature_path_for
from bench.own_models import import_own, train_own_model
from foundation.paths import REPO_ROOT
from scripts import train_model

# The pandas the comparison runs with, in a venv of its own beside the project's (whose numpy,
# pyarrow and XGBoost it shares through a .pth file): never in the project's, where XGBoost
# would import it into every serving process.
PANDAS = ("pandas==3.1.1", "tzdata==2026.6")
PANDAS_VENV = REPO_ROOT / "build" / "bench-pandas"
ID = "id"


@dataclass(frozen=True)
class Model:
    name: str
    artifact: Path
    features: tuple[str, ...]
    # Each feature's values: low, high, decimals (a file's cells are uniform in the range).
    ranges: tuple[tuple[float, float, int], ...]
    # What a bad cell of each kind is for this model: a number beyond its bounds.
    out_of_bounds: str

    @property
    def signature(self) -> Path:
        return signature_path_for(self.artifact)


def models(folder: Path) -> list[Model]:
    """The two models, trained afresh into ``folder``."""
    iris = folder / "iris" / "model.tar.gz"
    iris.parent.mkdir(parents=True)
    train_model.write_artifacts(iris, seed=42, rounds=50)  # as `make model` trains it
    names = ("sepal_length", "sepal_width", "petal_length", "petal_width")
    own = train_own_model("binary:logistic", folder / "cancer" / "theirs")
    cancer = folder / "cancer" / "model.tar.gz"
    imported = import_own(own, cancer)
    if imported.returncode != 0:
        raise RuntimeError(f"import_model failed: {imported.stderr}")
    # The data set's own ranges, each value with 4 decimals (its cells have 2 to 6).
    rows = own.rows[~np.isnan(own.rows).any(axis=1)]
    low, high = rows.min(axis=0), rows.max(axis=0)
    return [
        Model("4 features (Iris)", iris, names, ((0.3, 8.0, 1),) * 4, "-1"),
        Model(
            "30 features (breast cancer)",
            cancer,
            own.names,
            tuple((float(lo), float(hi), 4) for lo, hi in zip(low, high, strict=True)),
            "1e39",  # more than a 32-bit float holds: the API refuses it
        ),
    ]


def write_file(model: Model, path: Path, rows: int, bad_share: float = 0.0, seed: int = 0) -> int:
    """A CSV of ``rows`` records (an id, then the features), ``bad_share`` of them bad in one
    of five ways, in turn; returns how many are bad."""
    rng = np.random.default_rng(seed)
    columns: dict[str, pa.Array] = {ID: pa.array(np.arange(rows))}
    for name, (low, high, decimals) in zip(model.features, model.ranges, strict=True):
        columns[name] = pa.array(np.round(rng.uniform(low, high, rows), decimals))
    with path.open("wb") as file:
        file.write((",".join([ID, *model.features]) + "\n").encode())
        table = pa.table(columns)
        options = pacsv.WriteOptions(include_header=False, quoting_style="none")
        for start in range(0, rows, 1_000_000):  # memory stays bounded at any size
            pacsv.write_csv(table.slice(start, 1_000_000), file, options)
    bad = int(rows * bad_share)
    if bad:
        _spoil(path, rng.choice(rows, bad, replace=False), model)
    return bad


def _spoil(path: Path, rows: np.ndarray, model: Model) -> None:
    """Each chosen row made bad, as users' files are: a word for a number, a required cell left
    empty, a number out of bounds, a short row, a number Python reads and JSON cannot say."""
    lines = path.read_bytes().split(b"\n")
    for turn, row in enumerate(sorted(rows.tolist())):
        cells = lines[row + 1].split(b",")
        kind = turn % 5
        if kind == 0:
            cells[1] = b"n/a"
        elif kind == 1:
            cells[2] = b""
        elif kind == 2:
            cells[1] = model.out_of_bounds.encode()
        elif kind == 3:
            cells = cells[:3]
        else:
            cells[-1] = b"1_5"
        lines[row + 1] = b",".join(cells)
    path.write_bytes(b"\n".join(lines))


def pandas_python() -> Path:
    """The pandas venv's python, made on first use (pip from the registry)."""
    python = PANDAS_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PANDAS_VENV)], check=True)
        site = subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True, capture_output=True, text=True,
        ).stdout.strip()  # fmt: skip
        Path(site, "project-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--no-deps", *PANDAS], check=True
        )
    return python
