"""`make bench` must keep working: the quick benchmarks run on a little data and hand their
headline figures to the table (bench/summary.py). Figures are not judged here."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("module, args, layer", [
    ("bench.bench_boilerplate", [], "boilerplate"),
    ("bench.bench_segmentation_speed", ["--rounds", "1", "--limit", "40"], "segmentation"),
])
def test_benchmark_runs_and_records_its_headline(tmp_path, module, args, layer):
    summary = tmp_path / "summary.jsonl"
    proc = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env={**__import__("os").environ,
                                                       "BENCH_SUMMARY": str(summary)})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    rows = [json.loads(line) for line in summary.read_text().splitlines()]
    assert rows and all(r["layer"] == layer and r["baseline"] for r in rows)
