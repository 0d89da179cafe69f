"""CPU time of the in-process pipeline (``nlp.enrich``, all steps, builtin engines).

    .venv/bin/python -m bench.bench_inprocess_cpu [--rounds 15]

Prints the CPU ms per article on the five seeds (best and median of ``--rounds`` rounds)
and on one long article (the seeds joined, twenty times: about 330,000 characters; best of
3). CPU time (``time.process_time``), not wall time: on a shared machine it is the steadier
of the two, though still noisy; compare two versions by alternating runs.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    from nlp import enrich
    seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    enrich({"text": seeds[0]})  # engines load once, as in a worker

    def cpu_ms(f) -> float:
        started = time.process_time()
        f()
        return (time.process_time() - started) * 1000

    rounds = sorted(cpu_ms(lambda: [enrich({"text": t}) for t in seeds]) / len(seeds)
                    for _ in range(args.rounds))
    long_text = "\n".join(seeds) * 20
    long = min(cpu_ms(lambda: enrich({"text": long_text})) for _ in range(3))
    print(f"seeds: {rounds[0]:.1f} CPU ms/article best, {rounds[len(rounds) // 2]:.1f} median; "
          f"long article ({len(long_text)} chars): {long:.0f} CPU ms best of 3")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
