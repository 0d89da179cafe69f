"""The boilerplate layer on real scraped pages kept outside the repository (their text is
third-party and is never committed): aggregate figures only.

    .venv/bin/python -m bench.bench_boilerplate --real /work/realpages --batch dev [--errors]
    .venv/bin/python -m bench.bench_boilerplate --real /work/realpages --batch test

A folder holds ``pages/<id>.json`` (the page's text as scraped, one paragraph per line, and
optionally its HTML) and ``labels/<id>.gold.json`` (every non-blank line labelled body or a
boilerplate kind, the page's title/source/published_at/tags/author as a reader sees them, and
``batch``: "dev" or "test", split by outlet). The labelling guide is docs/boilerplate-labelling.md.

Printed: body precision/recall/F1 micro-averaged over lines, pages with every line right,
title exact (pages with a headline) and invented titles (pages without one), source right
among the pages where one is set, date and tags; the same line figures for keep-all,
trafilatura and jusText in the same run. ``--errors`` lists the misses, for the dev batch
only: the test batch is scored, never read.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from nlp.boilerplate.lines import normalize


def _page_text(page: dict) -> str:
    for key in ("text", "content", "body"):
        if isinstance(page.get(key), str):
            return page[key]
    raise KeyError("page has no text")


def load(folder: Path, batch: str | None) -> list[tuple[str, str, dict, dict]]:
    """[(id, text, gold, page)] for every labelled page of the batch (all batches if None)."""
    out = []
    labels = folder / "labels"
    for gpath in sorted(labels.glob("*.gold.json")):
        try:
            gold = json.loads(gpath.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue          # a label file being written right now
        if batch and gold.get("batch") != batch:
            continue
        pid = gpath.name[: -len(".gold.json")]
        ppath = folder / "pages" / f"{pid}.json"
        if not ppath.exists() or not gold.get("lines"):
            continue
        try:
            page = json.loads(ppath.read_text(encoding="utf-8"))
            text = _page_text(page)
        except (OSError, ValueError, KeyError):
            continue
        out.append((pid, text, gold, page))
    return out


def _same(a, b) -> bool:
    return _fold(a) == _fold(b)


def _fold(s) -> str:
    s = normalize(str(s or ""))
    return re.sub(r"[\s\"'«»“”.:،,\-–—|]+", " ", s).strip()


def _date(s) -> str:
    return str(s or "")[:10]


def _pct(a: int, b: int) -> str:
    return f"{a}/{b} ({100 * a / b:.0f}%)" if b else f"{a}/0"


def fields_report(corpus, errors: list[str] | None) -> list[str]:
    """Title, source, date, tags, author against the gold: counts only."""
    from nlp.boilerplate import clean
    t_with = t_exact = t_none_pages = t_invented = t_none_given = 0
    s_set = s_right = s_gold = s_missed = 0
    d_set = d_right = d_gold = d_missed = 0
    g_tags = g_exact = g_any = tags_invented = 0
    a_set = a_right = a_gold = 0
    for pid, text, gold, _ in corpus:
        found = clean(text).found
        gt, ft = gold.get("title"), found.get("title")
        if gt:
            t_with += 1
            ok = _same(gt, ft)
            t_exact += ok
            t_none_given += not ft
            if errors is not None and not ok:
                errors.append(f"{pid}: title gold={gt!r} got={ft!r}")
        else:
            t_none_pages += 1
            t_invented += bool(ft)
            if errors is not None and ft:
                errors.append(f"{pid}: invented title {ft!r}")
        gs, fs = gold.get("source"), found.get("source")
        s_gold += bool(gs)
        if fs:
            s_set += 1
            ok = bool(gs) and _same(gs, fs)
            s_right += ok
            if errors is not None and not ok:
                errors.append(f"{pid}: source gold={gs!r} got={fs!r}")
        elif gs:
            s_missed += 1
            if errors is not None:
                errors.append(f"{pid}: source missed gold={gs!r}")
        gd, fd = gold.get("published_at"), found.get("published_at")
        d_gold += bool(gd)
        if fd:
            d_set += 1
            ok = bool(gd) and _date(gd) == _date(fd)
            d_right += ok
            if errors is not None and not ok:
                errors.append(f"{pid}: date gold={gd!r} got={fd!r}")
        elif gd:
            d_missed += 1
            if errors is not None:
                errors.append(f"{pid}: date missed gold={gd!r}")
        gg, fg = gold.get("tags") or [], found.get("tags") or []
        if gg:
            g_tags += 1
            g_exact += [_fold(t) for t in gg] == [_fold(t) for t in fg]
            g_any += bool({_fold(t) for t in gg} & {_fold(t) for t in fg})
            if errors is not None and [_fold(t) for t in gg] != [_fold(t) for t in fg]:
                errors.append(f"{pid}: tags gold={gg!r} got={fg!r}")
        elif fg:
            tags_invented += 1
            if errors is not None:
                errors.append(f"{pid}: invented tags {fg!r}")
        ga, fa = gold.get("author"), found.get("author")
        a_gold += bool(ga)
        if fa:
            a_set += 1
            a_right += bool(ga) and _same(ga, fa)
    return [
        f"  title exact on pages with a headline: {_pct(t_exact, t_with)} (none given on {t_none_given}); "
        f"invented on pages without one: {t_invented}/{t_none_pages}",
        f"  source right among set: {_pct(s_right, s_set)}; pages with a gold source: {s_gold}, missed {s_missed}",
        f"  date right among set: {_pct(d_right, d_set)}; pages with a gold date: {d_gold}, missed {d_missed}",
        f"  tags: pages with gold tags {g_tags}, exact {g_exact}, some right {g_any}; tags on pages without: {tags_invented}",
        f"  author right among set: {_pct(a_right, a_set)}; pages with a gold author: {a_gold}",
    ]


def run(folder: str, batch: str | None, show_errors: bool) -> int:
    from bench.bench_boilerplate import SYSTEMS, score
    if show_errors and batch != "dev":
        print("--errors lists lines and is for the dev batch only (--batch dev); the test batch "
              "is scored, never read.", file=sys.stderr)
        return 2
    corpus = load(Path(folder), batch)
    if not corpus:
        print(f"no labelled pages in {folder} (batch {batch or 'any'})", file=sys.stderr)
        return 1
    items = [(pid, text, gold) for pid, text, gold, _ in corpus]
    n_lines = sum(len(g["lines"]) for _, _, g in items)
    n_body = sum(sum(ln["label"] == "body" for ln in g["lines"]) for _, _, g in items)
    outlets = {str(p.get("domain") or g.get("domain") or pid) for pid, _, g, p in corpus}
    print(f"real pages, batch {batch or 'all'}: {len(items)} pages, {len(outlets)} outlets, "
          f"{n_lines} lines, {n_body} body")
    print(f"  {'system':<15} {'P':>6} {'R':>6} {'F1':>6} {'lost':>5} {'kept-bp':>8} {'perfect':>12}")
    for sname, system in SYSTEMS.items():
        perfect = 0
        tp = fp = fn = 0
        errs: list[str] = []
        for item in items:
            s = score([item], system)
            tp, fp, fn = tp + s["tp"], fp + s["fp"], fn + s["fn"]
            perfect += not s["errors"]
            errs += s["errors"]
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        print(f"  {sname:<15} {p:6.3f} {r:6.3f} {f:6.3f} {fn:5d} {fp:8d} {_pct(perfect, len(items)):>12}")
        if show_errors and sname == "ours":
            print("\n".join("      " + e for e in errs))
    errors: list[str] | None = [] if show_errors else None
    print("ours, fields:")
    print("\n".join(fields_report(corpus, errors)))
    if errors:
        print("\n".join("      " + e for e in errors))
    return 0


def _fold_of(domain: str) -> int:
    import hashlib
    return int(hashlib.md5(domain.encode("utf-8")).hexdigest()[-1], 16) % 2


def folds(folder: str, batch: str | None) -> int:
    """The dev pages in two halves by outlet (the last hex digit of md5(domain), even or odd:
    independent of the dev/test split, which uses the first): body, title and source on each
    half. A rule written for one outlet shows up as a gap between the halves; a change should
    hold on both. Aggregates only, like the rest of this bench."""
    from bench.bench_boilerplate import ours, score
    from nlp.boilerplate import clean
    if batch != "dev":
        print("--folds is for the dev batch only (--batch dev)", file=sys.stderr)
        return 2
    corpus = load(Path(folder), batch)
    halves: dict[int, list] = {0: [], 1: []}
    for item in corpus:
        pid, _, gold, page = item
        halves[_fold_of(str(page.get("domain") or gold.get("domain") or pid))].append(item)
    for h in (0, 1):
        items = halves[h]
        tp = fp = fn = perfect = 0
        t_with = t_ok = t_inv = s_set = s_ok = s_miss = 0
        for pid, text, gold, _ in items:
            s = score([(pid, text, gold)], ours)
            tp, fp, fn, perfect = tp + s["tp"], fp + s["fp"], fn + s["fn"], perfect + (not s["errors"])
            found = clean(text).found
            if gold.get("title"):
                t_with += 1
                t_ok += _same(gold["title"], found.get("title"))
            else:
                t_inv += bool(found.get("title"))
            if found.get("source"):
                s_set += 1
                s_ok += bool(gold.get("source")) and _same(gold.get("source"), found["source"])
            elif gold.get("source"):
                s_miss += 1
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        outlets = len({str(pg.get("domain") or pid) for pid, _, _, pg in items})
        print(f"half {h}: {len(items)} pages, {outlets} outlets: body F1 {f:.3f} R {r:.3f}, perfect "
              f"{_pct(perfect, len(items))}; title {_pct(t_ok, t_with)}, invented {t_inv}; "
              f"source right {_pct(s_ok, s_set)}, missed {s_miss}")
    return 0
