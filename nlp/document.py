"""The document the pipeline works on: one text and typed layers of stand-off spans.

In the spirit of spaCy's ``Doc``/``Span``: a ``Document`` holds one ``text`` and layers of
spans (``sentences``, ``tokens``, ``entities``; the boilerplate layer's ``blocks`` and
``kept`` lines, whose offsets are into the *input* text the cleaner read). A span stores
``start``/``end`` (code points, end exclusive) and its attributes, never its text: ``text``
is a slice of the string it was made on, so it cannot disagree with the offsets, and a
span outside that string is refused (``SpanError``) when it is made.

Spans are made through the document (``doc.sentence``, ``doc.token``, ``doc.entity``) so
that they index ``doc.text``; once a layer exists, ``doc.text`` cannot change.

JSON is only at the edges: ``to_json()`` gives the result document clients read (the
same keys, order and values as ever; a partial document awaiting its HTML conversion
carries it as ``_html``), and ``from_json()`` reads one back exactly (the job layer stores
a partial document between tasks routed to different queues).
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = "1.0"
_FIELDS = ("title", "source", "author", "published_at")
_LIST_FIELDS = ("tags", "breadcrumb", "related")
_INPUT_FIELDS = ("title", "url", "source", "published_at")
_TOP_KEYS = frozenset({"schema_version", "input", "document", "steps", "engines", "timings_ms",
                       "_html", "boilerplate", "sentences", "tokens", "entity_groups", "entities"})


class SpanError(ValueError):
    """A span whose offsets do not lie inside its text, or a layer that does not fit its
    document."""


class Span:
    """``text[start:end]`` of the string the span was made on."""

    __slots__ = ("_of", "start", "end")

    def __init__(self, of: str, start: int, end: int):
        if type(start) is not int or type(end) is not int or not 0 <= start <= end <= len(of):
            raise SpanError(f"span {start!r}..{end!r} is not inside a text of {len(of)} characters")
        self._of = of
        self.start = start
        self.end = end

    @property
    def text(self) -> str:
        return self._of[self.start:self.end]

    def __len__(self) -> int:
        return self.end - self.start

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.start}, {self.end}, {self.text!r})"


class Sentence(Span):
    __slots__ = ()

    def to_json(self) -> dict:
        return {"start": self.start, "end": self.end}


class Token(Span):
    """A token with its kind (word, number, latin, url, email, punct, symbol) and its clitic
    segments (surface slices; ``[text]`` for a token that is not an Arabic word).
    ``norm_segments``: the segments as the segmenter saw them, when that differs."""

    __slots__ = ("kind", "segments", "norm_segments")

    def __init__(self, of: str, start: int, end: int, kind: str, segments: list[str],
                 norm_segments: list[str] | None = None):
        # Span.__init__'s check, inline: a long article has tens of thousands of tokens.
        if type(start) is not int or type(end) is not int or not 0 <= start <= end <= len(of):
            raise SpanError(f"span {start!r}..{end!r} is not inside a text of {len(of)} characters")
        self._of = of
        self.start = start
        self.end = end
        self.kind = kind
        self.segments = segments
        self.norm_segments = norm_segments

    def to_json(self) -> dict:
        return tokens_json([self])[0]


def tokens_json(tokens: list[Token]) -> list[dict]:
    """The tokens as JSON records (one loop: this runs once per step hand-off). The
    segment lists are shared with the tokens, not copied: treat both as read-only."""
    out = []
    append = out.append
    for t in tokens:
        start, end = t.start, t.end
        j = {"text": t._of[start:end], "start": start, "end": end, "kind": t.kind,
             "segments": t.segments}
        if t.norm_segments is not None:
            j["norm_segments"] = t.norm_segments
        append(j)
    return out


class Entity(Span):
    """A mention: its type (PER, LOC, ORG, MISC) and its group (index into entity_groups)."""

    __slots__ = ("type", "entity")

    def __init__(self, of: str, start: int, end: int, type: str, entity: int):
        Span.__init__(self, of, start, end)
        self.type = type
        self.entity = entity

    def to_json(self) -> dict:
        return {"text": self._of[self.start:self.end], "start": self.start, "end": self.end,
                "type": self.type, "entity": self.entity}


class Block(Span):
    """A removed boilerplate block (a run of lines of one kind), on the input text."""

    __slots__ = ("kind",)

    def __init__(self, of: str, start: int, end: int, kind: str):
        Span.__init__(self, of, start, end)
        self.kind = kind

    def to_json(self) -> dict:
        return {"kind": self.kind, "text": self._of[self.start:self.end], "start": self.start,
                "end": self.end}


class KeptLine(Span):
    """A body line, on the input text; ``at`` is where it starts in the clean text."""

    __slots__ = ("at",)

    def __init__(self, of: str, start: int, end: int, at: int):
        Span.__init__(self, of, start, end)
        self.at = at

    def to_json(self) -> dict:
        return {"start": self.start, "end": self.end, "at": self.at}


@dataclass
class EntityGroup:
    """Mentions of one entity: its canonical form, the distinct forms met, how many."""
    id: int
    type: str
    canonical: str
    variants: list[str]
    mentions: int
    first_start: int

    def to_json(self) -> dict:
        return {"id": self.id, "type": self.type, "canonical": self.canonical,
                "variants": list(self.variants), "mentions": self.mentions,
                "first_start": self.first_start}


@dataclass
class Boilerplate:
    """What the cleaner removed and read. ``blocks`` and ``kept`` index ``input_text``:
    the text the cleaner read (the article's text, or what trafilatura extracted from its
    HTML). Only the HTML case puts ``input_text`` in the JSON; a text input's blocks carry
    their own text there, so after ``from_json`` its ``input_text`` is rebuilt from the
    blocks and body lines (the whitespace between lines is not kept)."""
    input_text: str
    from_html: bool
    blocks: list[Block] = field(default_factory=list)
    kept: list[KeptLine] = field(default_factory=list)
    found: dict = field(default_factory=dict)
    html_metadata: dict | None = None

    @classmethod
    def of(cls, input_text: str, *, from_html: bool, blocks: list[dict], kept: list[dict],
           found: dict, html_metadata: dict | None = None) -> "Boilerplate":
        """From the cleaner's plain records (kind/start/end, start/end/at)."""
        return cls(input_text, from_html,
                   [Block(input_text, b["start"], b["end"], b["kind"]) for b in blocks],
                   [KeptLine(input_text, k["start"], k["end"], k["at"]) for k in kept],
                   found, html_metadata or None)

    def to_json(self) -> dict:
        out = {"blocks": [b.to_json() for b in self.blocks],
               "kept": [k.to_json() for k in self.kept],
               "found": copy.deepcopy(self.found)}
        if self.from_html:
            out["input_text"] = self.input_text
            if self.html_metadata:
                out["html_metadata"] = copy.deepcopy(self.html_metadata)
        return out

    @classmethod
    def from_json(cls, d: dict, text: str) -> "Boilerplate":
        from_html = "input_text" in d
        source = d["input_text"] if from_html else _rebuild_input(d, text)
        bp = cls.of(source, from_html=from_html, blocks=d["blocks"], kept=d["kept"],
                    found=copy.deepcopy(d["found"]),
                    html_metadata=copy.deepcopy(d.get("html_metadata")))
        for block, given in zip(bp.blocks, d["blocks"]):
            if block.text != given["text"]:
                raise SpanError(f"boilerplate block {block.start}..{block.end} does not match its text")
        return bp


def _rebuild_input(d: dict, text: str) -> str:
    """A text input's input text, from its blocks (their text) and body lines (slices of the
    clean text); what lay between lines was whitespace, written back as line breaks."""
    pieces = [(b["start"], b["end"], b["text"]) for b in d["blocks"]]
    pieces += [(k["start"], k["end"], text[k["at"]:k["at"] + k["end"] - k["start"]]) for k in d["kept"]]
    pieces.sort()
    out: list[str] = []
    pos = 0
    for start, end, piece in pieces:
        if start < pos or len(piece) != end - start:
            raise SpanError(f"boilerplate spans {start}..{end} overlap or do not fit the text")
        out.append("\n" * (start - pos))
        out.append(piece)
        pos = end
    return "".join(out)


@dataclass
class Input:
    """What the client sent besides the text: the format, and the metadata it gave (kept
    here and preferred over what the boilerplate layer finds)."""
    format: str
    title: Any = None
    url: Any = None
    source: Any = None
    published_at: Any = None

    def to_json(self) -> dict:
        out: dict = {"format": self.format}
        for key in _INPUT_FIELDS:
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out


def _as_text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return "" if value is None else str(value)


class Document:
    """One article: its text, its layers, and how they were made (steps, engines, timings).

    Layers are ``None`` until their step has run. Metadata fields (title, source, author,
    published_at, tags, breadcrumb, related, language, flags) are the boilerplate layer's
    findings, ``None`` until it has run (or when it found nothing).
    """

    def __init__(self, text: str = "", *, input: Input | None = None, html: str | None = None,
                 schema_version: str = SCHEMA_VERSION):
        self._text = _as_text(text)
        self.schema_version = schema_version
        self.input = input or Input("text")
        # The input HTML, until the boilerplate layer (or finish) turns it into text.
        self.html = html
        self.steps: list[str] = []
        self.engines: dict[str, dict] = {}
        self.timings_ms: dict[str, float] = {}
        self.title = self.source = self.author = self.published_at = None
        self.tags: list[str] | None = None
        self.breadcrumb: list[str] | None = None
        self.related: list[str] | None = None
        self.language: str | None = None
        self.flags: list[str] | None = None
        self.finished = False              # finish() has run: counts are part of the JSON
        self.boilerplate: Boilerplate | None = None
        self.sentences: list[Sentence] | None = None
        self.tokens: list[Token] | None = None
        self.entity_groups: list[EntityGroup] | None = None
        self.entities: list[Entity] | None = None
        # (tokens layer, its JSON records): see tokens_json()
        self._tokens_json: tuple[list[Token], list[dict]] | None = None

    # -- the text and spans on it ---------------------------------------------------------

    @property
    def text(self) -> str:
        return self._text

    @text.setter
    def text(self, value) -> None:
        if self.sentences is not None or self.tokens is not None or self.entities is not None:
            raise SpanError("the text of a document with span layers cannot change")
        self._text = _as_text(value)

    def sentence(self, start: int, end: int) -> Sentence:
        return Sentence(self._text, start, end)

    def token(self, start: int, end: int, kind: str, segments: list[str],
              norm_segments: list[str] | None = None) -> Token:
        return Token(self._text, start, end, kind, segments, norm_segments)

    def entity(self, start: int, end: int, type: str, entity: int) -> Entity:
        return Entity(self._text, start, end, type, entity)

    def tokens_json(self) -> list[dict]:
        """The tokens layer as JSON records, for readers of the text layer's JSON (the entity
        engines). Read-only: the next ``to_json()`` hands the same records to its caller
        rather than building them a second time (tokens are not changed once the text layer
        has made them; a new tokens layer gets new records)."""
        cached = self._tokens_json
        if cached is None or cached[0] is not self.tokens or len(cached[1]) != len(self.tokens):
            cached = self._tokens_json = (self.tokens, tokens_json(self.tokens))
        return cached[1]

    @property
    def counts(self) -> dict:
        return {"characters": len(self._text),
                **({"sentences": len(self.sentences)} if self.sentences is not None else {}),
                **({"tokens": len(self.tokens)} if self.tokens is not None else {}),
                **({"entities": len(self.entities)} if self.entities is not None else {})}

    # -- JSON at the edges ----------------------------------------------------------------

    def to_json(self) -> dict:
        """The result document: fresh dicts and lists, except each token's segment lists,
        which are shared (read-only on both sides)."""
        document: dict = {"text": self._text}
        for key in _FIELDS:
            value = getattr(self, key)
            if value is not None:
                document[key] = value
        for key in _LIST_FIELDS:
            value = getattr(self, key)
            if value is not None:
                document[key] = list(value)
        if self.language is not None:
            document["language"] = self.language
        if self.flags is not None:
            document["flags"] = list(self.flags)
        if self.finished:
            document["counts"] = self.counts
        out: dict = {
            "schema_version": self.schema_version,
            "input": self.input.to_json(),
            "document": document,
            "steps": list(self.steps),
            "engines": {k: copy.deepcopy(v) for k, v in self.engines.items()},
            "timings_ms": dict(self.timings_ms),
        }
        if self.html is not None:
            out["_html"] = self.html
        if self.boilerplate is not None:
            out["boilerplate"] = self.boilerplate.to_json()
        if self.sentences is not None:
            out["sentences"] = [s.to_json() for s in self.sentences]
        if self.tokens is not None:
            cached, self._tokens_json = self._tokens_json, None
            fresh = cached is not None and cached[0] is self.tokens and len(cached[1]) == len(self.tokens)
            out["tokens"] = cached[1] if fresh else tokens_json(self.tokens)
        if self.entity_groups is not None:
            out["entity_groups"] = [g.to_json() for g in self.entity_groups]
        if self.entities is not None:
            out["entities"] = [e.to_json() for e in self.entities]
        return out

    @classmethod
    def from_json(cls, d: dict) -> "Document":
        """The document ``d`` (from ``to_json``) describes; ``from_json(d).to_json() == d``.
        Raises SpanError when a span's offsets or text do not fit the document."""
        unknown = set(d) - _TOP_KEYS
        if unknown:
            raise ValueError(f"not a result document: unknown keys {sorted(unknown)}")
        given = d.get("input") or {"format": "text"}
        document = d.get("document") or {}
        doc = cls(document.get("text", ""), input=Input(**given), html=d.get("_html"),
                  schema_version=d.get("schema_version", SCHEMA_VERSION))
        text = doc._text
        for key in _FIELDS + ("language",):
            setattr(doc, key, document.get(key))
        for key in _LIST_FIELDS + ("flags",):
            if key in document:
                setattr(doc, key, list(document[key]))
        doc.finished = "counts" in document
        doc.steps = list(d.get("steps", ()))
        doc.engines = {k: copy.deepcopy(v) for k, v in (d.get("engines") or {}).items()}
        doc.timings_ms = dict(d.get("timings_ms") or {})
        if "boilerplate" in d:
            doc.boilerplate = Boilerplate.from_json(d["boilerplate"], text)
        if "sentences" in d:
            doc.sentences = [Sentence(text, s["start"], s["end"]) for s in d["sentences"]]
        if "tokens" in d:
            doc.tokens = [Token(text, t["start"], t["end"], t["kind"], list(t["segments"]),
                                list(t["norm_segments"]) if "norm_segments" in t else None)
                          for t in d["tokens"]]
            _check_text(doc.tokens, d["tokens"], "token")
        if "entity_groups" in d:
            doc.entity_groups = [EntityGroup(g["id"], g["type"], g["canonical"], list(g["variants"]),
                                             g["mentions"], g["first_start"])
                                 for g in d["entity_groups"]]
        if "entities" in d:
            doc.entities = [Entity(text, e["start"], e["end"], e["type"], e["entity"])
                            for e in d["entities"]]
            _check_text(doc.entities, d["entities"], "entity")
        return doc


def _check_text(spans: list[Span], given: list[dict], what: str) -> None:
    for span, g in zip(spans, given):
        if span.text != g["text"]:
            raise SpanError(f"{what} {span.start}..{span.end} does not match its text {g['text']!r}")
