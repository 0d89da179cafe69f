"""Headline figures a benchmark hands to `make bench` (bench/all.py) for its one table.

A benchmark calls ``record(...)`` for each figure it wants in the table; outside
`make bench` (no BENCH_SUMMARY in the environment) the call does nothing, so every
benchmark still runs on its own and prints its full report.
"""
from __future__ import annotations

import json
import os


def record(layer: str, metric: str, ours: float, *, baseline: str | None = None,
           baseline_value: float | None = None, unit: str = "", higher_is_better: bool = True) -> None:
    path = os.environ.get("BENCH_SUMMARY")
    if not path:
        return
    row = {"layer": layer, "metric": metric, "ours": ours, "unit": unit,
           "baseline": baseline, "baseline_value": baseline_value,
           "higher_is_better": higher_is_better}
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
