"""`make bench`: local batch scoring at the speed of the data (issue #34). `scripts.batch_score`
against the script a user writes by hand with pandas (bench/batch_pandas.py: read_csv with
pyarrow, inplace_predict, argmax, to_csv) on the same file, for a model of 4 features and one of
30, and against a file with 1 % bad rows; each a process of its own, run in turn in one run so
that the machine's load (other work shares its cores) falls on both sides of each ratio alike.
XGBoost's own predict of the same rows, in this process, is the ceiling. Peak memory is each
process's own (wait4's rusage), and batch_score's is measured again on a file ten times larger.

    python -m bench.batch_speed [--rows 1000000] [--pairs 3] [--memory-rows 10000000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xgboost as xgb
from pyarrow import csv as pacsv

from bench.batch_inputs import ID, Model, models, pandas_python, write_file
from foundation.paths import REPO_ROOT

GOALS = {"4 features": 2.0, "30 features": 1.3}  # batch_score / pandas, rows/s
BAD_GOAL = 0.7  # the 1 %-bad file / the clean one, rows/s
MEMORY_GOAL = 300  # MiB, batch_score's peak


@dataclass
class Run:
    seconds: float
    peak_mib: float


@dataclass
class Case:
    model: Model
    rows: int
    clean: Path
    bad: Path
    times: dict[str, list[Run]] = field(default_factory=dict)


def child_env(cache: Path) -> dict[str, str]:
    """As a user's machine has it: bytecode compiled once (this machine sets
    PYTHONDONTWRITEBYTECODE, which would make each process compile every module it imports)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": str(cache)}


# Starts the command from a process of ~10 MB and reports its wall time and peak memory from
# wait4: a child forked straight from this one would report this process's memory (Linux keeps
# the larger of the memory before exec and after in ru_maxrss).
_MEASURE = """
import json, os, sys, time
started = time.perf_counter()
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
with open(sys.argv[1], "w") as file:
    json.dump([os.waitstatus_to_exitcode(status), seconds, usage.ru_maxrss], file)
"""


def timed(command: list[str], env: dict[str, str], report: Path) -> Run:
    """One process's wall time and peak resident memory (its own)."""
    finished = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(report), *command],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False,
    )  # fmt: skip
    code, seconds, peak_kib = json.loads(report.read_text())
    if code != 0 or finished.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed: {finished.stderr.decode()[-500:]}")
    return Run(seconds, peak_kib / 1024)


def ours(model: Model, source: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "scripts.batch_score", "--input", str(source),
            "--output", str(out), "--id-column", ID, "--model", str(model.artifact), "--restart"]  # fmt: skip


def theirs(python: Path, model: Model, source: Path, out: Path) -> list[str]:
    return [str(python), str(REPO_ROOT / "bench" / "batch_pandas.py"), str(source), str(out),
            str(model.artifact), str(model.signature), ID]  # fmt: skip


def xgboost_rows_per_second(model: Model, source: Path, runs: int = 3) -> float:
    """XGBoost's inplace_predict alone, on every core, of the file's rows already in memory."""
    import tarfile

    booster = xgb.Booster()
    with tarfile.open(model.artifact) as tar:
        member = tar.extractfile("xgboost-model")
        assert member is not None
        booster.load_model(bytearray(member.read()))
    table = pacsv.read_csv(source)
    matrix = np.column_stack([table[name].to_numpy() for name in model.features])
    best = min(_seconds(lambda: booster.inplace_predict(matrix)) for _ in range(runs))
    return len(matrix) / best


def _seconds(work: object) -> float:
    started = time.perf_counter()
    work()  # type: ignore[operator]
    return time.perf_counter() - started


def measure(case: Case, pairs: int, python: Path, env: dict[str, str], folder: Path) -> None:
    """Rounds of batch_score on the clean file, the pandas script on it, and batch_score on
    the bad file, each round in another order."""
    commands = {
        "ours": ours(case.model, case.clean, folder / "ours.csv"),
        "pandas": theirs(python, case.model, case.clean, folder / "pandas.csv"),
        "ours, 1 % bad": ours(case.model, case.bad, folder / "bad.csv"),
    }
    names = list(commands)
    for turn in range(pairs):
        for name in names[turn % 3 :] + names[: turn % 3]:
            case.times.setdefault(name, []).append(timed(commands[name], env, folder / "run.json"))
    same = (folder / "ours.csv").read_bytes() == (folder / "pandas.csv").read_bytes()
    print(
        f"{case.model.name}: the two outputs are {'byte for byte the same' if same else 'NOT the same'}"
    )


def paired(case: Case, a: str, b: str) -> float:
    """Median over the rounds of b's time / a's time: a's speed relative to b's."""
    return statistics.median(
        y.seconds / x.seconds for x, y in zip(case.times[a], case.times[b], strict=True)
    )


def table(cases: list[Case], memory: dict[tuple[str, int], Run], ceiling: dict[str, float]) -> str:
    lines = [
        "| file | batch_score rows/s | pandas script rows/s | batch_score / pandas | goal | "
        "1 % bad rows/s | bad / clean (goal >= 0.7) | XGBoost predict alone rows/s | "
        "peak MiB: batch_score, pandas, bad |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for case in cases:
        rate = {name: case.rows / statistics.median(r.seconds for r in runs)
                for name, runs in case.times.items()}  # fmt: skip
        peak = {name: max(r.peak_mib for r in runs) for name, runs in case.times.items()}
        goal = next(value for key, value in GOALS.items() if case.model.name.startswith(key))
        ratio, bad = paired(case, "ours", "pandas"), 1 / paired(case, "ours", "ours, 1 % bad")
        lines.append(
            f"| {case.model.name}, {case.rows:,} rows | {rate['ours']:,.0f} | "
            f"{rate['pandas']:,.0f} | **{ratio:.2f}x** | >= {goal}x: "
            f"{'met' if ratio >= goal else '**not met**'} | {rate['ours, 1 % bad']:,.0f} | "
            f"{bad:.2f}: {'met' if bad >= BAD_GOAL else '**not met**'} | "
            f"{ceiling[case.model.name]:,.0f} | {peak['ours']:.0f}, {peak['pandas']:.0f}, "
            f"{peak['ours, 1 % bad']:.0f} |"
        )
    for (name, rows), run in memory.items():
        met = "met" if run.peak_mib <= MEMORY_GOAL else "**not met**"
        lines.append(
            f"| {name}, {rows:,} rows: batch_score alone | {rows / run.seconds:,.0f} | - | - | "
            f"- | - | - | - | {run.peak_mib:.0f} (goal <= {MEMORY_GOAL}: {met}) |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.batch_speed", description=__doc__)
    p.add_argument("--rows", type=int, default=1_000_000, help="rows of each file (1000000)")
    p.add_argument("--pairs", type=int, default=3, help="rounds of each comparison (3)")
    p.add_argument("--memory-rows", type=int, default=10_000_000,
                   help="batch_score's memory on a file this large, of each model (0: skip)")  # fmt: skip
    args = p.parse_args(argv)
    python = pandas_python()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as tmp:
        folder = Path(tmp)
        env = child_env(folder / "pycache")
        cases, ceiling = [], {}
        for model in models(folder / "models"):
            clean, bad = (
                folder / f"{len(model.features)}-clean.csv",
                folder / f"{len(model.features)}-bad.csv",
            )
            write_file(model, clean, args.rows)
            write_file(model, bad, args.rows, bad_share=0.01)
            for command in (
                ours(model, clean, folder / "w.csv"),
                theirs(python, model, clean, folder / "w.csv"),
            ):
                timed(command, env, folder / "run.json")  # fills the bytecode cache; not counted
            cases.append(Case(model, args.rows, clean, bad))
            measure(cases[-1], args.pairs, python, env, folder)
            ceiling[model.name] = xgboost_rows_per_second(model, clean)
        memory = {}
        for case in cases if args.memory_rows else []:
            big = folder / "big.csv"
            write_file(case.model, big, args.memory_rows)
            run = timed(ours(case.model, big, folder / "big-out.csv"), env, folder / "run.json")
            memory[(case.model.name, args.memory_rows)] = run
            big.unlink()
    print(table(cases, memory, ceiling))
    return 0


if __name__ == "__main__":
    sys.exit(main())
