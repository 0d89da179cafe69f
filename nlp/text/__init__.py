"""Text layer: sentences, tokens and Farasa-style clitic segmentation, with exact offsets.

Public interface (used by the entity layer):
    get_segmenter(name=None) -> engine with .name, .version, .segment_words(words)
    analyse(text, engine=None) -> {"sentences": [...], "tokens": [...]}
                                   (a word token whose surface differs from what the
                                   segmenter saw also has "norm_segments")
    annotate(doc, engine=None)  -> sets doc.sentences and doc.tokens (typed spans)
    apply(doc, engine=None)     -> the pipeline step: annotate, and record the engines in
                                   doc.engines["sentences" | "segmentation"]
"""
from __future__ import annotations

from . import sentences as _sentences
from . import tokens as _tokens
from ..arabic import fold_for_segmentation
from ..engines import EngineRegistry

SENTENCE_ENGINE = {"name": "text.sentences", "version": "1"}


def _builtin():
    from .segmenters import BuiltinSegmenter
    return BuiltinSegmenter()


def _farasa():
    from .segmenters import FarasaJarSegmenter
    return FarasaJarSegmenter.from_settings()


ENGINES = EngineRegistry("segmentation", "SEGMENTATION_ENGINE", builtin=_builtin, farasa=_farasa)
_ENGINES = ENGINES.engines


def get_segmenter(name: str | None = None):
    """The process-wide segmentation engine called ``name``: builtin (default), farasa, or
    auto (farasa when its jar is on disk, else builtin)."""
    return ENGINES.get(name)


def _layers(text: str, seg, make) -> tuple[list[tuple[int, int]], list]:
    """Sentence (start, end) and ``make(start, end, kind, segments, norm_segments or None)``
    for each token (made directly: a long text has tens of thousands)."""
    toks = _tokens.tokenize(text)
    words = [t[0] for t in toks if t[3] == "word"]
    segmented = iter(seg.segment_words(words)) if words else iter(())
    tokens = []
    for surface, start, end, kind in toks:
        segments = next(segmented) if kind == "word" else [surface]
        norm = None
        if kind == "word":
            # Segments are surface slices (exact offsets); an index wants the forms the
            # segmenter saw: no tanween or tatweel, Arabic letters for Persian ones.
            norm = [fold_for_segmentation(s) for s in segments]
            if norm == segments:
                norm = None
        tokens.append(make(start, end, kind, segments, norm))
    return _sentences.split(text), tokens


def _engine(engine):
    return engine if hasattr(engine, "segment_words") else get_segmenter(engine)


def analyse(text: str, engine=None) -> dict:
    """Sentences and tokens (with segments) of ``text`` as JSON; offsets are code points."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", errors="replace")
    elif not isinstance(text, str):
        text = "" if text is None else str(text)
    def make(start, end, kind, segments, norm):
        token = {"text": text[start:end], "start": start, "end": end, "kind": kind,
                 "segments": segments}
        if norm is not None:
            token["norm_segments"] = norm
        return token

    sents, tokens = _layers(text, _engine(engine), make)
    return {"sentences": [{"start": s, "end": e} for s, e in sents], "tokens": tokens}


def annotate(doc, engine=None) -> None:
    """Set ``doc.sentences`` and ``doc.tokens`` (no engine recorded)."""
    sents, tokens = _layers(doc.text, _engine(engine), doc.token)
    sentence = doc.sentence
    doc.sentences = [sentence(s, e) for s, e in sents]
    doc.tokens = tokens


def apply(doc, engine=None) -> None:
    """Pipeline step: sentences and tokens of ``doc.text``."""
    seg = _engine(engine)
    annotate(doc, seg)
    doc.engines["sentences"] = dict(SENTENCE_ENGINE)
    doc.engines["segmentation"] = ENGINES.describe(seg, engine)
