"""Entity layer benchmark: quality on ANERcorp dev and on the seeds, speed, model size.

    .venv/bin/python -m bench.bench_entities [--skip-baseline]

Prints, all measured in this run:
  * dev.txt entity-level P/R/F1 (exact span and type; micro and per type) for PER/LOC/ORG
    and for all four types, for the committed model (with its gazetteer span repair, as at
    run time, sentence by sentence) and for a plain-feature CRF baseline
    (raw word, raw affixes, shape, neighbouring words) trained here on the same train.txt
    with the same hyper-parameters;
  * the committed model with the document-level pass, treating dev as one document;
  * tagging speed in tokens/s (features + CRF, warm) of both, and the models' sizes;
  * F1 on the five seeds against their hand-checked gold, and the seed groupings;
  * scaling: the whole layer (tagging, document pass, grouping; segmentation timed apart)
    on a seed repeated to 10 kB ... 1 MB, and on one line of 500 ... 20,000 words without
    punctuation — time per token should stay flat (linear time).
Reads ANERcorp from data/ner/anercorp (see data/README.md).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import pycrfsuite

from bench.summary import record
from tools import train_ner as T
from nlp.entities import features as F
from nlp.entities.model import MODEL_PATH, consistent_tags, decode_tags, gazetteer_repair
from nlp.entities.gazetteer import load as load_gazetteer
from nlp.entities.scoring import bio_spans, score

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CORE = ("PER", "LOC", "ORG")


def _row(name: str, s: dict) -> str:
    cells = [f"{s[k]['precision']:.3f}/{s[k]['recall']:.3f}/{s[k]['f1']:.3f}" if k in s else "-"
             for k in ("micro", "PER", "LOC", "ORG", "MISC")]
    return f"{name:34s} " + " ".join(f"{c:>19s}" for c in cells)


def _header() -> str:
    return f"{'(P/R/F1)':34s} " + " ".join(f"{c:>19s}" for c in ("micro", "PER", "LOC", "ORG", "MISC"))


def tag_all(model: Path, xs) -> tuple[list[list[str]], float]:
    tagger = pycrfsuite.Tagger()
    tagger.open(str(model))
    started = time.perf_counter()
    tags = [decode_tags(tagger.tag(x)) for x in xs]
    return tags, time.perf_counter() - started


def seeds_report() -> dict:
    """Entities of each seed (pipeline in-process, text as given) against the gold."""
    from nlp import enrich
    gold_all, pred_all, per_seed, groups = [], [], {}, {}
    for gold_file in sorted(SEEDS.glob("*.entities.json")):
        gold = json.loads(gold_file.read_text(encoding="utf-8"))
        text = (SEEDS / gold["seed"]).read_text(encoding="utf-8")
        result = enrich({"text": text}, ["entities"])
        g = {(e["start"], e["end"], e["type"]) for e in gold["entities"]}
        p = {(e["start"], e["end"], e["type"]) for e in result["entities"] if e["type"] in CORE}
        gold_all.append(g)
        pred_all.append(p)
        per_seed[gold["seed"]] = score([g], [p])["micro"]
        groups[gold["seed"]] = result["entity_groups"]
    return {"total": score(gold_all, pred_all), "per_seed": per_seed, "groups": groups}


def _group_of(groups: list[dict], surface: str) -> int | None:
    for g in groups:
        if surface in g["variants"]:
            return g["id"]
    return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.bench_entities", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--skip-scaling", action="store_true")
    args = ap.parse_args(argv)
    data = T.DATA_DIR
    if not (data / "dev.txt").exists():
        print(f"error: {data} not found", file=sys.stderr)
        return 2
    train, dev = T.read_conll(data / "train.txt"), T.read_conll(data / "dev.txt")
    gold = [set(bio_spans([t for _, t in s])) for s in dev]
    n_tokens = sum(map(len, dev))
    segs = T.segment_corpus(dev)

    # Committed model, features timed with tagging (segments precomputed, as in the pipeline).
    load_gazetteer()
    started = time.perf_counter()
    xs = T.featurise(dev, segs)
    feat_secs = time.perf_counter() - started
    tags, crf_secs = tag_all(MODEL_PATH, xs)
    started = time.perf_counter()
    gaz = load_gazetteer()
    tags = [gazetteer_repair([w for w, _ in s], t, gaz) for s, t in zip(dev, tags)]
    crf_secs += time.perf_counter() - started  # the repair is part of tagging at run time
    ours = [set(bio_spans(t)) for t in tags]

    # Document-level pass with dev as one document.
    tokens = [{"text": w, "kind": "word", "segments": segs.get(w, [w])} for s in dev for w, _ in s]
    flat = [t for ts in tags for t in ts]
    flat = consistent_tags(tokens, flat, load_gazetteer())
    doc_tags, k = [], 0
    for s in dev:
        doc_tags.append(flat[k:k + len(s)])
        k += len(s)
    ours_doc = [set(bio_spans(t)) for t in doc_tags]

    print(f"ANERcorp dev.txt: {len(dev)} sentences, {n_tokens} tokens; exact span and type")
    print(_header())
    rows = [("model PER/LOC/ORG", score(gold, ours, CORE)), ("model all types", score(gold, ours)),
            ("model+doc pass PER/LOC/ORG", score(gold, ours_doc, CORE)),
            ("model+doc pass all types", score(gold, ours_doc))]

    base_model = None
    if not args.skip_baseline:
        base_model = Path(tempfile.mkdtemp()) / "baseline.crfsuite"
        bx = [F.baseline_features([w for w, _ in s]) for s in train]
        train_secs = T.train_crf(bx, [[t for _, t in s] for s in train], base_model, T.PARAMS)
        started = time.perf_counter()
        bdx = [F.baseline_features([w for w, _ in s]) for s in dev]
        bfeat = time.perf_counter() - started
        btags, bcrf = tag_all(base_model, bdx)
        base = [set(bio_spans(t)) for t in btags]
        rows += [("baseline PER/LOC/ORG", score(gold, base, CORE)), ("baseline all types", score(gold, base))]
    for name, s in rows:
        print(_row(name, s))
    model_f1 = rows[0][1]["micro"]["f1"]
    base_name = "plain-feature CRF, same run"
    if base_model:
        print(f"F1 ratio model/baseline (PER/LOC/ORG): {model_f1 / rows[4][1]['micro']['f1']:.3f}")
        record("entities", "dev F1 PER/LOC/ORG (ANERcorp)", model_f1, baseline=base_name,
               baseline_value=rows[4][1]["micro"]["f1"])
        record("entities", "dev F1 all types (ANERcorp)", rows[1][1]["micro"]["f1"],
               baseline=base_name, baseline_value=rows[5][1]["micro"]["f1"])
    else:
        record("entities", "dev F1 PER/LOC/ORG (ANERcorp)", model_f1)

    print()
    print(f"speed (warm, features + CRF + repair, segments precomputed): model "
          f"{n_tokens / (feat_secs + crf_secs):,.0f} tokens/s "
          f"(features {n_tokens / feat_secs:,.0f}/s, CRF+repair {n_tokens / crf_secs:,.0f}/s)")
    if base_model:
        print(f"                                       baseline {n_tokens / (bfeat + bcrf):,.0f} tokens/s "
              f"(trained in {train_secs:.1f}s); ratio model/baseline "
              f"{(n_tokens / (feat_secs + crf_secs)) / (n_tokens / (bfeat + bcrf)):.2f}")
    speed = n_tokens / (feat_secs + crf_secs)
    record("entities", "tagging speed (features+CRF)", speed, unit="tokens/s",
           baseline=base_name if base_model else None,
           baseline_value=n_tokens / (bfeat + bcrf) if base_model else None)
    record("entities", "model size", MODEL_PATH.stat().st_size / 1e6, unit="MB",
           higher_is_better=False, baseline=base_name if base_model else None,
           baseline_value=base_model.stat().st_size / 1e6 if base_model else None)
    print(f"model size: {MODEL_PATH.stat().st_size / 1e6:.2f} MB"
          + (f" (baseline {base_model.stat().st_size / 1e6:.2f} MB)" if base_model else ""))

    # Whole layer on the seeds (text as given, segmentation included in the pipeline).
    print()
    started = time.perf_counter()
    seeds = seeds_report()
    secs = time.perf_counter() - started
    print(_header())
    print(_row("seeds PER/LOC/ORG (5 articles)", seeds["total"]))
    for name, m in seeds["per_seed"].items():
        print(f"  {name}: P={m['precision']:.3f} R={m['recall']:.3f} F1={m['f1']:.3f} n={m['support']}")
    print(f"  (5 seeds through segmentation + entities in {secs:.1f}s)")
    record("entities", "seeds F1 PER/LOC/ORG (hand gold)", seeds["total"]["micro"]["f1"])
    checks = [("000_057c1d3d53202a94.txt", "كيم جونغ أون", "كيم"),
              ("001_3bc77018b8995a9c.txt", "كيم جونغ أون", "كيم"),
              ("002_de4acbd561a5e82b.txt", "بيونج يانج", None),
              ("002_de4acbd561a5e82b.txt", "كيم جونج أون", None),
              ("002_de4acbd561a5e82b.txt", "البنتاجون", None),
              ("000_057c1d3d53202a94.txt", "البنتاغون", None)]
    for seed, a, b in checks:
        groups = seeds["groups"][seed]
        ga = _group_of(groups, a)
        line = f"  {seed}: {a!r} -> group {ga}"
        if b:
            line += f"; {b!r} -> group {_group_of(groups, b)}"
        if ga is not None:
            g = groups[ga]
            line += f"; canonical {g['canonical']!r}, variants {g['variants']}, mentions {g['mentions']}"
        print(line)
    if not args.skip_scaling:
        print()
        scaling()
    return 0


def _layer_time(text: str) -> tuple[int, float, float]:
    from nlp import Document
    from nlp.entities import apply
    from nlp.text import annotate
    started = time.perf_counter()
    doc = Document(text)
    annotate(doc)
    seg = time.perf_counter() - started
    started = time.perf_counter()
    apply(doc)
    return len(doc.tokens), seg, time.perf_counter() - started


def scaling() -> None:
    import random
    base = (SEEDS / "004_2f3a022fdb695d49.txt").read_text(encoding="utf-8")
    _layer_time(base)  # warm
    print("scaling (entity layer only; segmentation timed apart):")
    for size in (10_000, 100_000, 1_000_000):
        text = (base * (size // len(base) + 1))[:size]
        n, seg, ent = _layer_time(text)
        print(f"  {size:>9,} chars  {n:>7,} tokens  {ent:6.2f}s  {ent / n * 1e6:6.1f} us/token"
              f"  (segmentation {seg:.2f}s)")
    rng = random.Random(0)
    words = [w.strip(".,،:؛\"“”«»()") for w in base.split()]
    words = [w for w in words if w]
    for count in (500, 5_000, 20_000):
        text = " ".join(rng.choice(words) for _ in range(count))
        n, seg, ent = _layer_time(text)
        print(f"  one line of {count:>6,} words  {n:>7,} tokens  {ent:6.2f}s  "
              f"{ent / n * 1e6:6.1f} us/token  (segmentation {seg:.2f}s)")


if __name__ == "__main__":
    sys.exit(main())
