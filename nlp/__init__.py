"""The enrichment pipeline: layers of stand-off annotation over one text.

A job's state is a ``Document`` (``nlp.document``): one text and typed layers of spans
(sentences, tokens, entities, boilerplate blocks) whose text is derived from their offsets.
It is built up step by step, so that each step can run in its own Celery task, and the same
code runs in-process for the command line and the benchmarks:

    doc = new_document(article)            # {"text": ...} or {"html": ...}
    for step in resolve_steps(asked):      # canonical order, dependencies added
        run_step(step, doc, engines)
    result = finish(doc)                   # the result JSON a client reads

``enrich(article, steps, engines)`` does all of that and returns the result JSON.

Between tasks the job layer stores ``doc.to_json()`` and reads it back with
``Document.from_json(d)`` (exact round trip).

Every layer module exposes ``apply(doc, engine=None) -> None``: it reads what it needs
from the Document, sets its own layers and fields, and records its engine in
``doc.engines[layer]``. Offsets are Unicode code points into ``doc.text`` (the
boilerplate layer's into the input text it read).

This package imports neither Flask nor Celery.
"""
from __future__ import annotations

import functools
import importlib
import importlib.util
import time
from typing import Iterable

from .document import SCHEMA_VERSION, Document, Input, SpanError  # noqa: F401 - the API

# Canonical order. A step's layer module lives at nlp.<module>.
STEPS: tuple[str, ...] = ("boilerplate", "segmentation", "entities")
_LAYER_MODULES = {
    "boilerplate": "nlp.boilerplate",
    "segmentation": "nlp.text",
    "entities": "nlp.entities",
}
# A step that needs another step's output pulls it in.
_REQUIRES = {"entities": ("segmentation",)}


class PipelineError(Exception):
    """Input the pipeline cannot work on; the message is safe to show a client."""

    def __init__(self, message: str, *, code: str = "invalid-input"):
        super().__init__(message)
        self.code = code


# Exceptions that must stop a step even where a layer contains failures on purpose (a bug
# on one word keeps that word whole; hostile markup falls back to plain text): a worker's
# time limit, for one. The Celery side registers its own; this package imports no Celery.
_INTERRUPTS: list[type[BaseException]] = []


def register_interrupt(exc_type: type[BaseException]) -> None:
    if exc_type not in _INTERRUPTS:
        _INTERRUPTS.append(exc_type)


def is_interrupt(exc: BaseException) -> bool:
    """Should a layer that contains failures re-raise ``exc``?"""
    return isinstance(exc, tuple(_INTERRUPTS))


class UnknownStep(PipelineError):
    def __init__(self, step: str):
        super().__init__(f"unknown step {step!r}; known steps: {', '.join(STEPS)}",
                         code="unknown-step")


class StepUnavailable(PipelineError):
    def __init__(self, step: str):
        super().__init__(f"step {step!r} is not available in this build", code="step-unavailable")


@functools.lru_cache(maxsize=1)
def available_steps() -> tuple[str, ...]:
    """Steps whose layer module is present (a layer lands when its module exists); looked
    up once per process, as the API asks on every request."""
    return tuple(s for s in STEPS if importlib.util.find_spec(_LAYER_MODULES[s]) is not None)


def resolve_steps(asked: Iterable[str] | None) -> list[str]:
    """The steps to run, in canonical order, with the steps they depend on.

    ``None`` means every available step. Unknown names raise UnknownStep; names whose
    layer is missing raise StepUnavailable.
    """
    have = available_steps()
    wanted = set(have if asked is None else asked)
    for step in list(wanted):
        if step not in STEPS:
            raise UnknownStep(step)
        wanted.update(_REQUIRES.get(step, ()))
    for step in wanted:
        if step not in have:
            raise StepUnavailable(step)
    return [s for s in STEPS if s in wanted]


def new_document(article: dict) -> Document:
    """The Document for an article: ``{"text": ...}`` or ``{"html": ...}``.

    Optional ``title``, ``url``, ``source``, ``published_at`` given by the client are
    kept in ``doc.input`` and preferred over what the boilerplate layer finds.
    """
    text = article.get("text")
    html = article.get("html")
    if (text is None) == (html is None):
        raise PipelineError("give exactly one of 'text' or 'html'")
    given = {k: article[k] for k in ("title", "url", "source", "published_at") if article.get(k)}
    return Document(text if text is not None else "",
                    input=Input("html" if html is not None else "text", **given), html=html)


def run_step(step: str, doc: Document, engines: dict | None = None) -> Document:
    """Run one step on ``doc`` in place (and return it)."""
    if step not in STEPS:
        raise UnknownStep(step)
    if step != "boilerplate" and doc.html is not None:
        # HTML input without the cleaner: the later layers still need its text.
        _html_to_text(doc)
    module = importlib.import_module(_LAYER_MODULES[step])
    started = time.perf_counter()
    module.apply(doc, engine=(engines or {}).get(step))
    doc.timings_ms[step] = round((time.perf_counter() - started) * 1000, 3)
    doc.steps.append(step)
    return doc


def _html_to_text(doc: Document) -> None:
    """HTML must become text even when the cleaner was not asked for (trafilatura's main
    text, uncleaned)."""
    from nlp.boilerplate import html_to_text
    html, doc.html = doc.html, None
    doc.text = html_to_text(html)


def finish(doc: Document) -> dict:
    """Final touches once all steps have run (HTML still pending becomes text; counts) and
    the result JSON."""
    _finish(doc)
    return doc.to_json()


def _finish(doc: Document) -> None:
    if doc.html is not None:
        _html_to_text(doc)
    doc.finished = True


def enrich(article: dict, steps: Iterable[str] | None = None,
           engines: dict | None = None) -> dict:
    """Run the whole pipeline in-process and return the result JSON."""
    doc = new_document(article)
    for step in resolve_steps(steps):
        run_step(step, doc, engines)
    return finish(doc)
