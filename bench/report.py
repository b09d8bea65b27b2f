"""The benchmark's figures, and the table it prints and writes."""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Figure:
    name: str
    unit: str
    ours: list[float]
    bare: list[float] | None
    goal: str
    met: Callable[[Figure], bool] | None = None

    def summary(self, values: list[float]) -> str:
        return f"{statistics.median(values):,.2f} ({min(values):,.2f}-{max(values):,.2f})"

    @property
    def ratio(self) -> float | None:
        """Median of the paired ratios: each of ours with the bare run next to it, so that
        the machine's drift over the run (seen here: 2x) cancels out."""
        if self.bare is None:
            return None
        return statistics.median(o / b for o, b in zip(self.ours, self.bare, strict=True))


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    return (
        f"{cpu}, {os.cpu_count()} cores, {memory_kib / 2**20:.0f} GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def table(figures: list[Figure]) -> str:
    lines = [
        "| figure | unit | ours: median (min-max) | bare Lambda: median (min-max) | ours / bare | goal | met |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for figure in figures:
        bare = figure.summary(figure.bare) if figure.bare else "-"
        ratio = f"{figure.ratio:.3f}" if figure.ratio is not None else "-"
        met = "-" if figure.met is None else ("yes" if figure.met(figure) else "**no**")
        lines.append(
            f"| {figure.name} | {figure.unit} | {figure.summary(figure.ours)} | {bare} | "
            f"{ratio} | {figure.goal} | {met} |"
        )
    return "\n".join(lines)
