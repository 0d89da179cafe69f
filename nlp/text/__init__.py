"""Text layer: sentences, tokens and Farasa-style clitic segmentation, with exact offsets.

Public interface (used by the entity layer):
    get_segmenter(name=None) -> engine with .name, .version, .segment_words(words)
    analyse(text, engine=None) -> {"sentences": [...], "tokens": [...]}
                                   (a word token whose surface differs from what the
                                   segmenter saw also has "norm_segments")
    apply(result, engine=None)  -> writes result["sentences"], result["tokens"] and
                                   result["engines"]["sentences" | "segmentation"]
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


def analyse(text: str, engine=None) -> dict:
    """Sentences and tokens (with segments) of ``text``; offsets are code points."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", errors="replace")
    elif not isinstance(text, str):
        text = "" if text is None else str(text)
    seg = engine if hasattr(engine, "segment_words") else get_segmenter(engine)
    toks = _tokens.tokenize(text)
    words = [t[0] for t in toks if t[3] == "word"]
    segmented = iter(seg.segment_words(words)) if words else iter(())
    tokens = []
    for surface, start, end, kind in toks:
        token = {"text": surface, "start": start, "end": end, "kind": kind,
                 "segments": next(segmented) if kind == "word" else [surface]}
        if kind == "word":
            # Segments are surface slices (exact offsets); an index wants the forms the
            # segmenter saw: no tanween or tatweel, Arabic letters for Persian ones.
            norm = [fold_for_segmentation(s) for s in token["segments"]]
            if norm != token["segments"]:
                token["norm_segments"] = norm
        tokens.append(token)
    sents = [{"start": s, "end": e} for s, e in _sentences.split(text)]
    return {"sentences": sents, "tokens": tokens}


def apply(result: dict, engine=None) -> None:
    """Pipeline step: segment result["document"]["text"]."""
    text = result.get("document", {}).get("text") or ""
    seg = engine if hasattr(engine, "segment_words") else get_segmenter(engine)
    layers = analyse(text, seg)
    result["sentences"] = layers["sentences"]
    result["tokens"] = layers["tokens"]
    engines = result.setdefault("engines", {})
    engines["sentences"] = dict(SENTENCE_ENGINE)
    engines["segmentation"] = ENGINES.describe(seg, engine)
