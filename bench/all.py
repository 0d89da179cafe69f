"""`make bench`: every layer's benchmark in one run, then one table of headline figures.

Each benchmark runs in its own process (so one's memory and caches do not colour the
next) with its full report saved under bench/out/; the table shows what each recorded
with bench.summary.record, and each figure's ratio to the baseline measured in that
same benchmark run.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"

# (module, arguments): quick enough together for a developer's machine (a few minutes).
BENCHMARKS = [
    ("bench.bench_boilerplate", []),
    ("bench.bench_segmentation_accuracy", ["--errors", "0"]),
    ("bench.bench_segmentation_speed", ["--rounds", "1"]),
    ("bench.bench_entities", []),
    ("bench.bench_e2e", []),
]


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value < 10:
        return f"{value:.4f}".rstrip("0").rstrip(".") if value else "0"
    return f"{value:,.0f}" if isinstance(value, (int, float)) else str(value)


def _ratio(row: dict) -> str:
    ours, base = row["ours"], row["baseline_value"]
    if base in (None, 0) or ours is None:
        return "-"
    return f"{ours / base:.2f}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", help="comma-separated benchmark modules to run")
    args = ap.parse_args(argv)
    chosen = [b for b in BENCHMARKS if not args.only or b[0] in args.only.split(",")]
    OUT.mkdir(parents=True, exist_ok=True)
    summary = OUT / "summary.jsonl"
    summary.unlink(missing_ok=True)
    env = {**os.environ, "BENCH_SUMMARY": str(summary)}
    failed = []
    for module, extra in chosen:
        log = OUT / f"{module.split('.')[-1]}.txt"
        started = time.perf_counter()
        print(f"running {module} {' '.join(extra)} ...", file=sys.stderr, flush=True)
        with open(log, "w", encoding="utf-8") as fh:
            proc = subprocess.run([sys.executable, "-m", module, *extra], cwd=ROOT, env=env,
                                  stdout=fh, stderr=subprocess.STDOUT)
        took = time.perf_counter() - started
        state = "ok" if proc.returncode == 0 else f"exit {proc.returncode}"
        print(f"  {state} in {took:.0f} s, full report: {log.relative_to(ROOT)}", file=sys.stderr)
        if proc.returncode != 0:
            failed.append(module)
    rows = [json.loads(line) for line in summary.read_text(encoding="utf-8").splitlines()] \
        if summary.exists() else []
    header = ("layer", "metric", "ours", "baseline", "baseline value", "ours/baseline")
    table = [header] + [(r["layer"], r["metric"] + (f" ({r['unit']})" if r["unit"] else ""),
                         _fmt(r["ours"]), r["baseline"] or "-", _fmt(r["baseline_value"]),
                         _ratio(r)) for r in rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for n, row in enumerate(table):
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    if failed:
        print(f"\nfailed: {', '.join(failed)} (see bench/out/)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
