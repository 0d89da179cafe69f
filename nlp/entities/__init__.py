"""Entity layer: people, places and organisations, with their mentions grouped.

    apply(doc, engine=None)

reads ``doc.text`` and the text layer's ``doc.tokens`` / ``doc.sentences`` (computed here
if the segmentation step did not run), and sets

    doc.entities        Entity spans: start, end, type, entity (group index)
    doc.entity_groups   EntityGroup: id, type, canonical, variants, mentions, first_start
    doc.engines["entities"] = {"name", "version"}

Engines: ``builtin`` (default) — the CRF trained by tools/train_ner.py on ANERcorp and
committed in models/; ``farasa`` — Farasa's NER jar (FARASA_NER_JAR), see farasa_engine.py.
``engine`` may also be an object with ``name``, ``version`` and ``entities(result)``, where
``result`` is the text layer as JSON (``document.text``, ``sentences``, ``tokens``) and the
answer a list of ``{text, start, end, type}`` (optionally ``form``, a citation form).
Types: PER, LOC, ORG and MISC. A span never includes a proclitic (وبيونغ يانغ -> بيونغ يانغ).
"""
from __future__ import annotations

from ..document import EntityGroup
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


def apply(doc, engine=None) -> None:
    """Pipeline step: tag entities in ``doc.text`` and group them."""
    if doc.tokens is None:
        from nlp.text import annotate
        annotate(doc)
    text = doc.text
    eng = engine if hasattr(engine, "entities") else get_engine(engine)
    # Engines read the text layer as JSON (the form they are trained and tested on).
    view = {"document": {"text": text}, "sentences": [s.to_json() for s in doc.sentences or ()],
            "tokens": doc.tokens_json()}
    entities = eng.entities(view) if text.strip() else []
    entities.sort(key=lambda e: (e["start"], -e["end"]))
    # Grouping reads a mention's citation form ("form"); the group carries it, the span not.
    groups = group(entities)
    doc.entity_groups = [EntityGroup(**g) for g in groups]
    entity = doc.entity
    doc.entities = [entity(m["start"], m["end"], m["type"], m["entity"]) for m in entities]
    doc.engines["entities"] = ENGINES.describe(eng, engine)
