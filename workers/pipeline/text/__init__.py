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

import logging
import os
import threading

from . import sentences as _sentences
from . import tokens as _tokens
from .normalize import normalise

SENTENCE_ENGINE = {"name": "text.sentences", "version": "1"}

_ENGINES: dict[str, object] = {}
_ENGINES_LOCK = threading.RLock()
# Why an engine name resolved to another engine ("auto" without the jar).
_FALLBACKS: dict[str, str] = {}


def _engine_name(name: str | None) -> str:
    name = name or os.environ.get("SEGMENTATION_ENGINE") or "builtin"
    return name.strip().lower()


def get_segmenter(name: str | None = None):
    """The process-wide segmentation engine called ``name`` (default: builtin)."""
    from workers.pipeline import PipelineError

    key = _engine_name(name)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            from . import segmenters
            if key == "builtin":
                engine = segmenters.BuiltinSegmenter()
            elif key == "farasa":
                engine = segmenters.FarasaJarSegmenter.from_settings()
            elif key == "auto":
                engine = _auto_engine(segmenters, key)
            else:
                raise PipelineError(
                    f"unknown segmentation engine {name!r}; use builtin, farasa or auto",
                    code="unknown-engine")
            _ENGINES[key] = engine
    return engine


def _auto_engine(segmenters, key: str):
    """Farasa's jar when it is on disk, else the builtin engine; the result names the
    engine that ran, and ``fallback`` says why it is not the jar."""
    from workers.pipeline.farasa_process import EngineUnavailable

    try:
        return segmenters.FarasaJarSegmenter.from_settings()
    except EngineUnavailable as exc:
        # The detail names paths on this host: it goes to the log, not into results.
        logging.getLogger(__name__).warning("segmentation engine auto -> builtin: %s", exc)
        _FALLBACKS[key] = "farasa engine unavailable on this host (jar or java missing)"
        return get_segmenter("builtin")


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
            norm = [normalise(s) for s in token["segments"]]
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
    engines["segmentation"] = {"name": seg.name, "version": seg.version}
    if not hasattr(engine, "segment_words") and _engine_name(engine) in _FALLBACKS:
        engines["segmentation"]["fallback"] = _FALLBACKS[_engine_name(engine)]
