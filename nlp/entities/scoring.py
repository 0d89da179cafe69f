"""Entity-level scoring, seqeval-style: a prediction counts only with exact span and type."""
from __future__ import annotations

from collections import Counter


def bio_spans(tags: list[str]) -> list[tuple[int, int, str]]:
    """(start, end, type) token spans of a BIO sequence; a stray I- starts a new span."""
    spans = []
    start, typ = None, None
    for i, tag in enumerate(list(tags) + ["O"]):
        prefix, _, t = tag.partition("-")
        if start is not None and (prefix != "I" or t != typ):
            spans.append((start, i, typ))
            start, typ = None, None
        if prefix == "B" or (prefix == "I" and start is None):
            start, typ = i, t
    return spans


def score(gold: list[set], pred: list[set], types: tuple[str, ...] | None = None) -> dict:
    """Micro and per-type precision/recall/F1 over documents of (start, end, type) spans.

    ``types`` restricts the count to those types (None: every type present).
    """
    tp, np_, ng = Counter(), Counter(), Counter()
    for g, p in zip(gold, pred):
        g = {s for s in g if types is None or s[2] in types}
        p = {s for s in p if types is None or s[2] in types}
        for s in p:
            np_[s[2]] += 1
        for s in g:
            ng[s[2]] += 1
        for s in g & p:
            tp[s[2]] += 1

    def prf(t, p, g):
        pr = t / p if p else 0.0
        rc = t / g if g else 0.0
        return {"precision": pr, "recall": rc, "f1": 2 * pr * rc / (pr + rc) if pr + rc else 0.0,
                "support": g}

    out = {"micro": prf(sum(tp.values()), sum(np_.values()), sum(ng.values()))}
    for t in sorted(set(ng) | set(np_)):
        out[t] = prf(tp[t], np_[t], ng[t])
    return out
