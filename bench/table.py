"""Markdown result tables shared by the benchmark scripts."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


@dataclass
class Row:
    case: str
    figure: str
    target: str = ""
    ratio: str = ""
    verdict: str = ""


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def render(title: str, rows: list[Row]) -> str:
    lines = [
        f"### {title}",
        "",
        "| case | figure | target | ratio | pass/miss |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {r.case} | {r.figure} | {r.target} | {r.ratio} | {r.verdict} |" for r in rows]
    return "\n".join(lines) + "\n"


def verdict(ok: bool) -> str:
    return "pass" if ok else "MISS"
