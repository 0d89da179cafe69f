"""The five seeds (and the HTML page around seed 000) give exactly the result documents
recorded in tests/snapshots/, bar timings.

A refactor must not change a single byte of what a client reads. A change that is meant to
change results (a better model, a new rule) re-records the snapshots in the same commit:

    .venv/bin/python -m tests.test_seed_snapshots --record
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = ROOT / "tests" / "snapshots"


def _inputs() -> dict[str, dict]:
    arts = {p.stem: {"text": p.read_text(encoding="utf-8")} for p in sorted((ROOT / "seeds").glob("*.txt"))}
    arts.update({"html_" + p.stem: {"html": p.read_text(encoding="utf-8")}
                 for p in sorted((ROOT / "seeds" / "html").glob("*.html"))})
    return arts


def _result(article: dict) -> dict:
    from nlp import enrich
    result = enrich(article)
    result.pop("timings_ms")
    return result


def _dump(result: dict) -> str:
    return json.dumps(result, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


@pytest.mark.parametrize("name", sorted(_inputs()))
def test_seed_result_is_unchanged(name):
    expected = (SNAPSHOTS / f"{name}.json").read_text(encoding="utf-8")
    assert _dump(_result(_inputs()[name])) == expected


if __name__ == "__main__" and "--record" in sys.argv:
    for name, article in _inputs().items():
        (SNAPSHOTS / f"{name}.json").write_text(_dump(_result(article)), encoding="utf-8")
        print("recorded", name)
