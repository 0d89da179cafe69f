"""Word accuracy of the segmentation engine on QCRI's WikiNews dev half (Farasa scheme).

    .venv/bin/python -m bench.bench_segmentation_accuracy [--errors N] [--engine builtin]

Input: one gold word per line; the word given to the engines is the gold with Farasa's
ل+ال -> لل rewrite undone and the '+' dropped (PROVENANCE.md). Prints the accuracy of the
project's engine next to the raw PyPI ``Farasa`` port (``farasa.segmentation.segmentLine``,
measured in the same run, on the same words), then the engine's errors.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench.summary import record

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "data" / "segmentation" / "wikinews-farasa" / "WikiNews.dev.pos.ref"


def desegment(gold: str) -> str:
    """The input word of a gold line (PROVENANCE.md: ل+ال -> لل first, then drop '+')."""
    if not gold.strip("+"):
        return gold  # the plus sign itself, a punctuation word
    return gold.replace("\u0644+\u0627\u0644", "\u0644\u0644").replace("+", "")


def load_gold(path: Path = GOLD) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()[1:]  # header line
    return [line.split("\t")[0] for line in lines if line.strip()]


def raw_port(words: list[str]) -> list[str]:
    import farasa.segmentation as port
    return ["+".join(port.segmentLine(w)) for w in words]


def engine_output(words: list[str], engine: str | None) -> list[str]:
    from nlp.text import get_segmenter
    seg = get_segmenter(engine)
    return ["+".join(s) for s in seg.segment_words(words)], seg


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--errors", type=int, default=200, help="list at most N errors (default 200)")
    ap.add_argument("--engine", default=None, help="segmentation engine (default: builtin)")
    ap.add_argument("--gold", type=Path, default=GOLD)
    args = ap.parse_args(argv)
    if not args.gold.is_file():
        print(f"gold file not found: {args.gold}", file=sys.stderr)
        return 2
    gold = load_gold(args.gold)
    words = [desegment(g) for g in gold]

    t = time.perf_counter()
    ours, seg = engine_output(words, args.engine)
    t_ours = time.perf_counter() - t
    t = time.perf_counter()
    raw = raw_port(words)
    t_raw = time.perf_counter() - t

    n = len(gold)
    ok_ours = sum(o == g for o, g in zip(ours, gold))
    ok_raw = sum(r == g for r, g in zip(raw, gold))
    print(f"gold: {args.gold.name}, {n} words")
    print(f"engine {seg.name} ({seg.version}): {ok_ours}/{n} = {100 * ok_ours / n:.2f}%  "
          f"({t_ours:.1f}s)")
    print(f"raw Farasa port segmentLine:       {ok_raw}/{n} = {100 * ok_raw / n:.2f}%  "
          f"({t_raw:.1f}s)")
    print(f"difference: {100 * (ok_ours - ok_raw) / n:+.2f} points; "
          f"fixed {sum(o == g != r for o, g, r in zip(ours, gold, raw))}, "
          f"broken {sum(r == g != o for o, g, r in zip(ours, gold, raw))}")
    record("segmentation", "WikiNews dev word accuracy", ok_ours / n,
           baseline="raw Farasa port", baseline_value=ok_raw / n)
    errors = [(w, g, o, r) for w, g, o, r in zip(words, gold, ours, raw) if o != g]
    print(f"\nerrors of {seg.name} ({len(errors)}; word / gold / ours / raw port):")
    for w, g, o, r in errors[: args.errors]:
        print(f"  {w}\t{g}\t{o}\t{r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
