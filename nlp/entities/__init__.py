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

from ..engines import EngineRegistry
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


def _farasa():
    from .farasa_engine import FarasaNerEngine
    return FarasaNerEngine.from_settings()


ENGINES = EngineRegistry("entity", ENGINE_ENV, builtin=BuiltinEngine, farasa=_farasa)
_ENGINES = ENGINES.engines


def get_engine(name: str | None = None):
    """The process-wide entity engine called ``name``: builtin (default, or $ENTITY_ENGINE),
    farasa, or auto (farasa when its jar is on disk, else builtin)."""
    return ENGINES.get(name)


def apply(result: dict, engine=None) -> None:
    """Pipeline step: tag entities in result["document"]["text"] and group them."""
    doc = result.setdefault("document", {})
    text = doc.get("text")
    if not isinstance(text, str):
        text = "" if text is None else str(text)
        doc["text"] = text
    if "tokens" not in result:
        from nlp.text import analyse
        result.update(analyse(text))
    eng = engine if hasattr(engine, "entities") else get_engine(engine)
    entities = eng.entities(result) if text.strip() else []
    entities.sort(key=lambda e: (e["start"], -e["end"]))
    result["entity_groups"] = group(entities)
    for mention in entities:
        mention.pop("form", None)  # grouping's citation form; the group carries it
    result["entities"] = entities
    result.setdefault("engines", {})["entities"] = ENGINES.describe(eng, engine)
