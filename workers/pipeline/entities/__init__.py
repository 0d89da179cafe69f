"""Entity layer: people, places and organisations, with their mentions grouped.

    apply(result, engine=None)

reads ``result["document"]["text"]`` and the text layer's ``result["tokens"]`` /
``result["sentences"]`` (computed here if the segmentation step did not run), and writes

    result["entities"]       [{"text", "start", "end", "type", "entity"}]   (code points)
    result["entity_groups"]  [{"id", "type", "canonical", "variants", "mentions", "first_start"}]
    result["engines"]["entities"] = {"name", "version"}

Engines: ``builtin`` (default) — the CRF trained by tools/train_ner.py on ANERcorp and
committed in models/; ``farasa`` — Farasa's NER jar (FARASA_NER_JAR), see farasa_engine.py.
``engine`` may also be an object with ``name``, ``version`` and ``entities(result)``.
Types: PER, LOC, ORG and MISC. A span never includes a proclitic (وبيونغ يانغ -> بيونغ يانغ).
"""
from __future__ import annotations

import logging
import os
import threading

from .grouping import group

ENGINE_ENV = "ENTITY_ENGINE"


class BuiltinEngine:
    """The committed CRF plus the document-level consistency pass."""

    name = "builtin"

    def __init__(self):
        from .model import get_tagger
        self._tagger = get_tagger()
        self.version = self._tagger.version

    def entities(self, result: dict) -> list[dict]:
        from .model import tag_document
        return tag_document(result, self._tagger)


_ENGINES: dict[str, object] = {}
_ENGINES_LOCK = threading.RLock()
# Why an engine name resolved to another engine ("auto" without the jar).
_FALLBACKS: dict[str, str] = {}


def get_engine(name: str | None = None):
    """The process-wide entity engine called ``name`` (default: $ENTITY_ENGINE or builtin)."""
    from workers.pipeline import PipelineError

    key = _engine_key(name)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            if key == "builtin":
                engine = BuiltinEngine()
            elif key == "farasa":
                from .farasa_engine import FarasaNerEngine
                engine = FarasaNerEngine.from_settings()
            elif key == "auto":
                engine = _auto_engine(key)
            else:
                raise PipelineError(
                    f"unknown entity engine {name!r}; use builtin, farasa or auto",
                    code="unknown-engine")
            _ENGINES[key] = engine
    return engine


def _engine_key(name: str | None) -> str:
    return (name or os.environ.get(ENGINE_ENV) or "builtin").strip().lower()


def _auto_engine(key: str):
    """Farasa's NER jar when it is on disk, else the builtin engine; the result names the
    engine that ran, and ``fallback`` says why it is not the jar."""
    from workers.pipeline.farasa_process import EngineUnavailable

    try:
        from .farasa_engine import FarasaNerEngine
        return FarasaNerEngine.from_settings()
    except EngineUnavailable as exc:
        # The detail names paths on this host: it goes to the log, not into results.
        logging.getLogger(__name__).warning("entity engine auto -> builtin: %s", exc)
        _FALLBACKS[key] = "farasa engine unavailable on this host (jar or java missing)"
        return get_engine("builtin")


def apply(result: dict, engine=None) -> None:
    """Pipeline step: tag entities in result["document"]["text"] and group them."""
    doc = result.setdefault("document", {})
    text = doc.get("text")
    if not isinstance(text, str):
        text = "" if text is None else str(text)
        doc["text"] = text
    if "tokens" not in result:
        from workers.pipeline.text import analyse
        result.update(analyse(text))
    eng = engine if hasattr(engine, "entities") else get_engine(engine)
    entities = eng.entities(result) if text.strip() else []
    entities.sort(key=lambda e: (e["start"], -e["end"]))
    result["entity_groups"] = group(entities)
    for mention in entities:
        mention.pop("form", None)  # grouping's citation form; the group carries it
    result["entities"] = entities
    info = {"name": eng.name, "version": eng.version}
    if not hasattr(engine, "entities") and _engine_key(engine) in _FALLBACKS:
        info["fallback"] = _FALLBACKS[_engine_key(engine)]
    result.setdefault("engines", {})["entities"] = info
