"""Boilerplate layer: strip Arabic news boilerplate and keep what it tells us.

``clean(text)`` is the plain-text cleaner (pure, no I/O): it labels every non-blank line
body or a boilerplate kind (rules in ``rules.py``), joins the body lines, and reads the
boilerplate for title, source, tags, author, date, related headlines and breadcrumb
(``metadata.py``). ``apply(doc)`` is the pipeline step: HTML input goes through
trafilatura first (``html.py``), then the same cleaner.

Modules: lines.py (line splitting, normalisation, shape features), rules.py (the rules),
metadata.py (fields and dates), html.py (HTML to text), language.py (language guess).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..document import Boilerplate
from . import html as _html
from . import language as _language
from . import metadata as _metadata
from . import rules as _rules
from .lines import display_fold, split_lines

ENGINE = {"name": "builtin-rules", "version": "1.0"}
_FIELDS = ("title", "source", "author", "published_at")
_LIST_FIELDS = ("tags", "related", "breadcrumb")


def html_to_text(html: str) -> str:
    """Main text of an HTML page (trafilatura, with a plain fallback), not yet cleaned."""
    return _html.html_to_text(html)


@dataclass
class Cleaned:
    text: str                          # clean body, body lines joined by "\n"
    labels: list[tuple[int, int, str]]  # (start, end, label) per non-blank input line
    blocks: list[dict]                 # removed blocks: kind, text, start, end (input offsets)
    kept: list[dict]                   # body lines: start/end in the input, at = offset in text
    found: dict                        # fields read from the boilerplate
    language: str
    flags: list[str] = field(default_factory=list)


def clean(text: str, known_titles: list[str] | None = None) -> Cleaned:
    """Clean a plain-text article. Never raises on str input."""
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    lang = _language.detect(text)
    empty_found = {k: None for k in _FIELDS} | {k: [] for k in _LIST_FIELDS}
    if not text.strip():
        return Cleaned("", [], [], [], empty_found, "und", ["empty"])
    if lang != "ar":
        # Not ours to clean: the text passes through untouched.
        return Cleaned(text, [], [], [{"start": 0, "end": len(text), "at": 0}], empty_found, lang,
                       ["not_arabic"])
    lines = split_lines(text)
    labels, marks, title_idx = _rules.classify(lines, known_titles)
    found = _metadata.extract(lines, labels, marks, title_idx)

    body_parts, kept, blocks = [], [], []
    at = 0
    for ln, lab in zip(lines, labels):
        if lab == _rules.BODY:
            if body_parts:
                at += 1
            kept.append({"start": ln.start, "end": ln.end, "at": at})
            body_parts.append(ln.text)
            at += len(ln.text)
            continue
        if blocks and blocks[-1]["kind"] == lab and blocks[-1]["_last"] == ln.index - 1:
            blocks[-1]["end"] = ln.end
            blocks[-1]["_last"] = ln.index
        else:
            blocks.append({"kind": lab, "start": ln.start, "end": ln.end, "_last": ln.index})
    for b in blocks:
        b.pop("_last")
        b["text"] = text[b["start"]:b["end"]]
    flags = [] if body_parts else ["all_boilerplate"]
    return Cleaned("\n".join(body_parts), [(ln.start, ln.end, lab) for ln, lab in zip(lines, labels)],
                   [{"kind": b["kind"], "text": b["text"], "start": b["start"], "end": b["end"]}
                    for b in blocks], kept, found, lang, flags)


def apply(doc, engine: str | None = None) -> None:
    """Pipeline step: clean ``doc.text`` (or the input HTML, ``doc.html``) in place."""
    if engine not in (None, "builtin", "rules"):
        from nlp import PipelineError
        raise PipelineError(f"unknown boilerplate engine {engine!r}; this layer has 'builtin' only",
                            code="unknown-engine")
    given = doc.input
    html, doc.html = doc.html, None
    html_meta: dict = {}
    engine_info = dict(ENGINE)
    if html is not None:
        text, html_meta = _html.extract(html if isinstance(html, str) else str(html))
        engine_info["html"] = _trafilatura_version()
    else:
        text = doc.text

    known = [t for t in (given.title, html_meta.get("title")) if isinstance(t, str) and t.strip()]
    c = clean(text, known)

    doc.text = c.text
    # Precedence, per field: what the client sent, then the page's HTML metadata, then what
    # the boilerplate lines say. What the text said is kept in boilerplate.found either way.
    html_fields = {"title": html_meta.get("title"), "source": html_meta.get("sitename"),
                   "author": html_meta.get("author"), "published_at": html_meta.get("date")}
    for key in _FIELDS:
        value = getattr(given, key) if key != "author" else None
        value = value or html_fields.get(key) or c.found.get(key)
        setattr(doc, key, value or None)
    # Lists: what the text says first; the page markup fills in (related: both, deduplicated).
    doc.tags = list(c.found.get("tags") or _union(
        [display_fold(t) for t in html_meta.get("tags") or []], []))
    doc.breadcrumb = list(c.found.get("breadcrumb") or html_meta.get("breadcrumb") or [])
    doc.related = _union(c.found.get("related") or [], html_meta.get("related") or [])
    doc.language = c.language
    doc.flags = sorted(set(doc.flags or []) | set(c.flags))

    # Block offsets refer to the text the cleaner read (for HTML, what trafilatura extracted).
    doc.boilerplate = Boilerplate.of(text, from_html=html is not None, blocks=c.blocks, kept=c.kept,
                                     found={k: v for k, v in c.found.items() if v},
                                     html_metadata=html_meta)
    doc.engines["boilerplate"] = engine_info


def _union(first: list[str], second: list[str]) -> list[str]:
    from .lines import normalize
    out, seen = [], set()
    for item in list(first) + list(second):
        key = normalize(item)
        if key and key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _trafilatura_version() -> str:
    try:
        import trafilatura
        return f"trafilatura {trafilatura.__version__}"
    except Exception:
        return "fallback"
