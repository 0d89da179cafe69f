"""The packages' arrows run one way (the import-linter contracts in pyproject.toml):
service -> jobs <- workers, both -> nlp; nlp free of Flask, Celery, Redis and kombu;
jobs free of Flask and Celery; the client on its own."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept():
    lint = Path(sys.executable).parent / "lint-imports"
    run = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "4 kept, 0 broken" in run.stdout, run.stdout[-2000:]


def test_no_two_top_level_packages_import_each_other():
    import grimp
    graph = grimp.build_graph("service", "workers", "jobs", "nlp", "enrichment_client")
    packages = ("service", "workers", "jobs", "nlp", "enrichment_client")
    both_ways = [(a, b) for a in packages for b in packages if a < b
                 and graph.direct_import_exists(importer=a, imported=b, as_packages=True)
                 and graph.direct_import_exists(importer=b, imported=a, as_packages=True)]
    assert both_ways == []
