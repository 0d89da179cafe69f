"""Train the entity tagger on ANERcorp and write the model + its card into models/.

    .venv/bin/python -m tools.train_ner [--data DIR] [--out models/ner-crf.crfsuite]
                                        [--c1 F] [--c2 F] [--iterations N] [--no-write]

Reads ``train.txt`` and ``dev.txt`` from ``data/ner/anercorp`` (see data/README.md) —
only here, never at run time. Tags are mapped PERS -> PER. Segments come
from the text layer's builtin segmenter, exactly as at run time. L-BFGS in crfsuite is
deterministic (no random initialisation, no shuffling), so the same data, features and
hyper-parameters give the same model; the card records all of them and the dev scores.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import sys
import tempfile
import time
from pathlib import Path

import pycrfsuite

from nlp.entities import features as F
from nlp.entities.gazetteer import DATA as GAZETTEER_FILE
from nlp.entities.gazetteer import load as load_gazetteer
from nlp.entities.model import decode_tags, gazetteer_repair
from nlp.entities.scoring import bio_spans, score

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data" / "ner" / "anercorp"
MODEL = ROOT / "models" / "ner-crf.crfsuite"
CARD = ROOT / "models" / "ner-crf.card.json"

# Chosen on dev.txt (see docs/entity-layer.md for the runs compared).
PARAMS = {"c1": 0.05, "c2": 0.01, "max_iterations": 150,
          "feature.possible_transitions": True, "feature.minfreq": 1}
SEED = 0  # recorded for the card; crfsuite's L-BFGS uses no randomness
TAG_MAP = {"PERS": "PER"}
_ARABIC = re.compile(r"[\u0600-\u06FF]")


def read_conll(path: Path) -> list[list[tuple[str, str]]]:
    """ANERcorp: ``token TAG`` per line, blank line between sentences; PERS -> PER."""
    sents, cur = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if cur:
                sents.append(cur)
                cur = []
            continue
        word, _, tag = line.rpartition(" ")
        if not word:  # a token that is itself a space-less tag line: skip
            continue
        prefix, _, typ = tag.partition("-")
        tag = f"{prefix}-{TAG_MAP.get(typ, typ)}" if typ else tag
        cur.append((word, tag))
    if cur:
        sents.append(cur)
    return sents


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def segment_corpus(sents, segmenter=None) -> dict[str, list[str]]:
    """Segments of every distinct word of the corpus, from the text layer's segmenter."""
    from nlp.text import get_segmenter
    seg = segmenter or get_segmenter("builtin")
    words = sorted({w for s in sents for w, _ in s if _ARABIC.search(w)})
    return dict(zip(words, seg.segment_words(words)))


def featurise(sents, segs) -> list[list[list[str]]]:
    return [F.sentence_features([(w, segs.get(w, [w])) for w, _ in s]) for s in sents]


def train_crf(xs, ys, path: Path, params: dict) -> float:
    """Train a CRF to ``path``; returns the seconds taken."""
    trainer = pycrfsuite.Trainer(verbose=False)
    for x, y in zip(xs, ys):
        trainer.append(x, y)
    trainer.set_params(params)
    started = time.perf_counter()
    trainer.train(str(path))
    return time.perf_counter() - started


def evaluate(model_path: Path, xs, sents, postprocess=True) -> dict:
    """Scores on PER/LOC/ORG and on all types, tagging sentence by sentence."""
    tagger = pycrfsuite.Tagger()
    tagger.open(str(model_path))
    gold, pred = [], []
    for x, s in zip(xs, sents):
        tags = decode_tags(tagger.tag(x))
        if postprocess:
            tags = gazetteer_repair([w for w, _ in s], tags, load_gazetteer())
        gold.append(set(bio_spans([t for _, t in s])))
        pred.append(set(bio_spans(tags)))
    tagger.close()
    return {"PER/LOC/ORG": score(gold, pred, ("PER", "LOC", "ORG")), "all": score(gold, pred)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.train_ner", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DATA_DIR)
    ap.add_argument("--out", type=Path, default=MODEL)
    ap.add_argument("--c1", type=float, default=PARAMS["c1"])
    ap.add_argument("--c2", type=float, default=PARAMS["c2"])
    ap.add_argument("--iterations", type=int, default=PARAMS["max_iterations"])
    ap.add_argument("--minfreq", type=float, default=PARAMS["feature.minfreq"])
    ap.add_argument("--no-write", action="store_true", help="train and score only (temp model)")
    args = ap.parse_args(argv)

    train_path, dev_path = args.data / "train.txt", args.data / "dev.txt"
    if not train_path.exists():
        print(f"error: {train_path} not found (ANERcorp is carried in data/ner/anercorp)",
              file=sys.stderr)
        return 2
    params = dict(PARAMS, c1=args.c1, c2=args.c2, max_iterations=args.iterations,
                  **{"feature.minfreq": args.minfreq})
    t0 = time.perf_counter()
    train, dev = read_conll(train_path), read_conll(dev_path)
    segs = segment_corpus(train + dev)
    xs_train, xs_dev = featurise(train, segs), featurise(dev, segs)
    t_feat = time.perf_counter() - t0
    print(f"features: {len(train)} train / {len(dev)} dev sentences in {t_feat:.1f}s", flush=True)

    if args.no_write:
        out = Path(tempfile.mkdtemp()) / "ner.crfsuite"
    else:
        out = args.out
        out.parent.mkdir(parents=True, exist_ok=True)
    secs = train_crf(xs_train, [[t for _, t in s] for s in train], out, params)
    scores = evaluate(out, xs_dev, dev)
    m = scores["PER/LOC/ORG"]["micro"]
    print(f"trained in {secs:.1f}s; dev PER/LOC/ORG P={m['precision']:.4f} R={m['recall']:.4f} "
          f"F1={m['f1']:.4f}; all types F1={scores['all']['micro']['f1']:.4f}; "
          f"model {out.stat().st_size / 1e6:.2f} MB")
    for t in ("PER", "LOC", "ORG", "MISC"):
        s = scores["all"].get(t)
        if s:
            print(f"  {t:5s} P={s['precision']:.4f} R={s['recall']:.4f} F1={s['f1']:.4f} n={s['support']}")

    if not args.no_write:
        from nlp.text import get_segmenter
        card = {
            "model": out.name,
            "model_sha256": sha256(out),
            "size_bytes": out.stat().st_size,
            "kind": "linear-chain CRF (python-crfsuite, L-BFGS), BIO tags over PER/LOC/ORG/MISC",
            "data": {
                "corpus": "ANERcorp (Benajiba, Rosso & Benedí Ruiz 2007), CAMeL Lab split, "
                          "train part; dev = last 10% of it",
                "licence": "CC BY-SA 4.0 per the CAMeL Lab distribution (older descriptions: "
                           "free for research use)",
                "train_sha256": sha256(train_path), "dev_sha256": sha256(dev_path),
                "train_sentences": len(train), "train_tokens": sum(map(len, train)),
                "dev_sentences": len(dev), "dev_tokens": sum(map(len, dev)),
                "tag_map": TAG_MAP,
            },
            "features": {
                "version": F.FEATURE_SET_VERSION,
                "description": F.FEATURE_DESCRIPTION,
                "segmenter": get_segmenter("builtin").version,
                "gazetteer": GAZETTEER_FILE.name, "gazetteer_sha256": sha256(GAZETTEER_FILE),
            },
            "hyperparameters": {**params, "algorithm": "lbfgs"},
            "seed": SEED,
            "dev_scores": {k: {t: {m: round(v, 4) if isinstance(v, float) else v
                                   for m, v in d.items()} for t, d in s.items()}
                           for k, s in scores.items()},
            "dev_scoring": "entity level, exact span and type, micro; sentence by sentence with "
                           "the gazetteer span repair, without the document-level pass (dev has "
                           "no document boundaries; bench/bench_entities.py also reports dev "
                           "scored as one document with the pass)",
            "software": {"python": platform.python_version(),
                         "python-crfsuite": importlib.metadata.version("python-crfsuite")},
            "reproduce": ".venv/bin/python -m tools.train_ner   (or: make train-ner)",
        }
        card_path = out.with_name(out.stem + ".card.json")
        card_path.write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {out} and {card_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
