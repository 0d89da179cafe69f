"""Text layer: sentences, tokens and Farasa-style clitic segmentation, with exact offsets.

Public interface (used by the entity layer):
    get_segmenter(name=None) -> engine with .name, .version, .segment_words(words)
    analyse(text, engine=None) -> {"sentences": [...], "tokens": [...]}
    apply(result, engine=None)  -> writes result["sentences"], result["tokens"] and
                                   result["engines"]["sentences" | "segmentation"]
"""
from __future__ import annotations

import os
import threading

from . import sentences as _sentences
from . import tokens as _tokens

SENTENCE_ENGINE = {"name": "text.sentences", "version": "1"}

_ENGINES: dict[str, object] = {}
_ENGINES_LOCK = threading.Lock()


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
            else:
                raise PipelineError(f"unknown segmentation engine {name!r}; use builtin or farasa",
                                    code="unknown-engine")
            _ENGINES[key] = engine
    return engine


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
        tokens.append({"text": surface, "start": start, "end": end, "kind": kind,
                       "segments": next(segmented) if kind == "word" else [surface]})
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
