"""Line-level precision, recall and F1 of "body" for the boilerplate layer, next to
jusText (Arabic stop list), trafilatura and keep-every-line, in the same run, on the same
inputs: the five seeds, the dev set, the held-out set, and the regression articles that
reproduce what real pages do (devset/realpatterns).

    .venv/bin/python -m bench.bench_boilerplate [--errors]
    .venv/bin/python -m bench.bench_boilerplate --real DIR --batch dev|test [--errors]   # bench/real_pages.py
    .venv/bin/python -m bench.bench_boilerplate --real DIR --batch dev --folds           # per half of the outlets

Every non-blank line of an article is one item; the gold (seeds/*.gold.json,
devset/*.gold.json, devset/heldout/*.gold.json) says body or a boilerplate kind.
jusText and trafilatura take HTML, so each line is given to them as one <p> of a plain
page — the same text the cleaner sees, no extra markup to help or hinder them. A line
counts as kept by them when its text comes back. Figures are micro-averaged over lines.
Then, for our cleaner only: documents whose title, source, tags, ... equal the gold.
"""
from __future__ import annotations

import argparse
import html as htmllib
import json
import re
import sys
import time
from pathlib import Path

from bench.summary import record

ROOT = Path(__file__).resolve().parent.parent
CORPORA = {"seeds": ROOT / "seeds", "devset": ROOT / "devset", "heldout": ROOT / "devset" / "heldout",
           "realpatterns": ROOT / "devset" / "realpatterns"}
FIELDS = ("title", "source", "tags", "author", "published_at", "breadcrumb", "related")


def load_corpus(folder: Path) -> list[tuple[str, str, dict]]:
    """[(name, text, gold)] for every *.gold.json with its text beside it."""
    out = []
    for gpath in sorted(folder.glob("*.gold.json")):
        gold = json.loads(gpath.read_text(encoding="utf-8"))
        text = (folder / gold["file"]).read_text(encoding="utf-8")
        out.append((gold["file"], text, gold))
    return out


def _key(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def _page(text: str) -> tuple[str, list[int]]:
    """A plain HTML page with one <p> per non-blank line, and those lines' numbers."""
    numbers, paras = [], []
    for n, line in enumerate(text.split("\n"), 1):
        if line.strip():
            numbers.append(n)
            paras.append(f"<p>{htmllib.escape(line.strip())}</p>")
    return "<html><head><meta charset='utf-8'></head><body><div>" + "\n".join(paras) + "</div></body></html>", numbers


def _kept_by_text(text: str, returned: list[str]) -> set[int]:
    """Line numbers whose text comes back, matched in order (duplicates count once each)."""
    want = [_key(r) for r in returned if r.strip()]
    kept, pos = set(), 0
    lines = text.split("\n")
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        k = _key(line)
        try:
            j = want.index(k, pos)
        except ValueError:
            continue
        kept.add(n)
        pos = j + 1
    return kept


def ours(text: str) -> set[int]:
    from nlp.boilerplate import clean
    from nlp.boilerplate.lines import split_lines
    c = clean(text)
    lines = split_lines(text)
    if not c.labels:               # not Arabic: passes through whole
        return {ln.number for ln in lines}
    return {ln.number for ln, (_, _, lab) in zip(lines, c.labels) if lab == "body"}


def keep_all(text: str) -> set[int]:
    return {n for n, line in enumerate(text.split("\n"), 1) if line.strip()}


def justext_lines(text: str) -> set[int]:
    import justext
    page, _ = _page(text)
    paras = justext.justext(page.encode("utf-8"), justext.get_stoplist("Arabic"), encoding="utf-8")
    return _kept_by_text(text, [p.text for p in paras if not p.is_boilerplate])


def justext_short_lines(text: str) -> set[int]:
    """jusText with its length thresholds lowered for short news paragraphs (70/200 -> 30/100
    characters), to be fair to it: with the defaults it drops nearly every dev-set line."""
    import justext
    page, _ = _page(text)
    paras = justext.justext(page.encode("utf-8"), justext.get_stoplist("Arabic"), encoding="utf-8",
                            length_low=30, length_high=100)
    return _kept_by_text(text, [p.text for p in paras if not p.is_boilerplate])


def trafilatura_lines(text: str) -> set[int]:
    import trafilatura
    page, _ = _page(text)
    out = trafilatura.extract(page, include_comments=False) or ""
    return _kept_by_text(text, out.split("\n"))


SYSTEMS = {"ours": ours, "jusText": justext_lines, "jusText-30/100": justext_short_lines,
           "trafilatura": trafilatura_lines, "keep-all": keep_all}


def score(corpus, system) -> dict:
    tp = fp = fn = 0
    errors = []
    for name, text, gold in corpus:
        kept = system(text)
        for g in gold["lines"]:
            is_body, got = g["label"] == "body", g["line"] in kept
            tp += is_body and got
            fp += got and not is_body
            fn += is_body and not got
            if is_body != got:
                errors.append(f"{name}:{g['line']} gold={g['label']} kept={got} | {g['text'][:70]}")
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"P": p, "R": r, "F1": f, "tp": tp, "fp": fp, "fn": fn, "errors": errors}


def ms_per_article(texts: list[str], rounds: int = 5, repeat: int = 10) -> float:
    """CPU time of clean() per article, best round: the machine is shared, and CPU time
    (not wall time) is what this process itself spends."""
    from nlp.boilerplate import clean
    for t in texts:
        clean(t)
    best = float("inf")
    for _ in range(rounds):
        t0 = time.process_time()
        for _ in range(repeat):
            for t in texts:
                clean(t)
        best = min(best, (time.process_time() - t0) / (repeat * len(texts)) * 1000)
    return best


def field_matches(corpus) -> dict[str, tuple[int, int]]:
    from nlp.boilerplate import clean
    hits = {f: 0 for f in FIELDS}
    for _, text, gold in corpus:
        found = clean(text).found
        for f in FIELDS:
            hits[f] += (found.get(f) or None) == (gold.get(f) or None)
    return {f: (hits[f], len(corpus)) for f in FIELDS}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--errors", action="store_true", help="list every line a system gets wrong")
    ap.add_argument("--real", metavar="DIR", help="score real pages kept outside the repo "
                    "(DIR/pages, DIR/labels; see bench/real_pages.py) instead of the corpora here")
    ap.add_argument("--batch", choices=("dev", "test"), help="with --real: only this batch")
    ap.add_argument("--folds", action="store_true", help="with --real --batch dev: the figures on "
                    "each half of the dev outlets (split by md5 of the domain), to see whether a rule "
                    "holds on both halves or only on the outlets it was written for")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if args.real:
        from bench.real_pages import run
        if args.folds:
            from bench.real_pages import folds
            return folds(args.real, args.batch)
        return run(args.real, args.batch, args.errors)
    corpora = {k: load_corpus(v) for k, v in CORPORA.items()}
    print("Line-level body precision / recall / F1 (micro over non-blank lines); lost = body lines dropped")
    for cname, corpus in corpora.items():
        n_lines = sum(len(g["lines"]) for _, _, g in corpus)
        n_body = sum(sum(l["label"] == "body" for l in g["lines"]) for _, _, g in corpus)
        print(f"\n{cname}: {len(corpus)} articles, {n_lines} lines, {n_body} body")
        print(f"  {'system':<15} {'P':>6} {'R':>6} {'F1':>6} {'lost':>5} {'kept-bp':>8} {'sec':>6}")
        scores = {}
        for sname, system in SYSTEMS.items():
            t0 = time.perf_counter()
            s = score(corpus, system)
            dt = time.perf_counter() - t0
            print(f"  {sname:<15} {s['P']:6.3f} {s['R']:6.3f} {s['F1']:6.3f} {s['fn']:5d} {s['fp']:8d} {dt:6.2f}")
            scores[sname] = s
            if args.errors and s["errors"]:
                print("\n".join("      " + e for e in s["errors"]))
        best = max((n for n in scores if n != "ours"), key=lambda n: scores[n]["F1"])
        record("boilerplate", f"body F1, {cname}", scores["ours"]["F1"],
               baseline=f"{best} (best other)", baseline_value=scores[best]["F1"])
        if cname == "seeds":
            ms = ms_per_article([text for _, text, _ in corpus])
            print(f"  ours, cleaning time: {ms:.2f} ms per article (CPU time, best of 5 rounds)")
            record("boilerplate", "ms per article, seeds", ms, baseline="budget", baseline_value=5.0,
                   unit="ms", higher_is_better=False)
        fm = field_matches(corpus)
        print("  ours, documents with the field exactly as in the gold: "
              + ", ".join(f"{f} {a}/{b}" for f, (a, b) in fm.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
