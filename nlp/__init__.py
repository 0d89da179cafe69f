"""The enrichment pipeline: layers of stand-off annotation over one text.

A job's state is one JSON-serialisable dict (the *result*), built up step by step so
that each step can run in its own Celery task and the same code runs in-process for the
command line and the benchmarks:

    result = new_result(article)           # document.text = the text as given
    for step in resolve_steps(asked):      # canonical order, dependencies added
        run_step(step, result, engines)
    finish(result)

Every layer module exposes ``apply(result, engine=None) -> None``: it reads what it
needs from ``result``, writes its own keys, and records its engine in
``result["engines"][layer]``. Offsets are Unicode code points into
``result["document"]["text"]``.

This package imports neither Flask nor Celery.
"""
from __future__ import annotations

import functools
import importlib
import importlib.util
import time
from typing import Iterable

# Canonical order. A step's layer module lives at nlp.<module>.
STEPS: tuple[str, ...] = ("boilerplate", "segmentation", "entities")
_LAYER_MODULES = {
    "boilerplate": "nlp.boilerplate",
    "segmentation": "nlp.text",
    "entities": "nlp.entities",
}
# A step that needs another step's output pulls it in.
_REQUIRES = {"entities": ("segmentation",)}

SCHEMA_VERSION = "1.0"


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


def new_result(article: dict) -> dict:
    """The initial result for an article: ``{"text": ...}`` or ``{"html": ...}``.

    Optional ``title``, ``url``, ``source``, ``published_at`` given by the client are
    kept in ``input`` and preferred over what the boilerplate layer finds.
    """
    text = article.get("text")
    html = article.get("html")
    if (text is None) == (html is None):
        raise PipelineError("give exactly one of 'text' or 'html'")
    given = {k: article[k] for k in ("title", "url", "source", "published_at") if article.get(k)}
    result: dict = {
        "schema_version": SCHEMA_VERSION,
        "input": {"format": "html" if html is not None else "text", **given},
        "document": {"text": text if text is not None else ""},
        "steps": [],
        "engines": {},
        "timings_ms": {},
    }
    if html is not None:
        # Kept only until the boilerplate layer has turned it into text.
        result["_html"] = html
    return result


def run_step(step: str, result: dict, engines: dict | None = None) -> dict:
    """Run one step on ``result`` in place (and return it)."""
    if step not in STEPS:
        raise UnknownStep(step)
    if step != "boilerplate" and "_html" in result:
        # HTML input without the cleaner: the later layers still need its text.
        _html_to_text(result)
    module = importlib.import_module(_LAYER_MODULES[step])
    started = time.perf_counter()
    module.apply(result, engine=(engines or {}).get(step))
    result["timings_ms"][step] = round((time.perf_counter() - started) * 1000, 3)
    result["steps"].append(step)
    return result


def _html_to_text(result: dict) -> None:
    """HTML must become text even when the cleaner was not asked for (trafilatura's main
    text, uncleaned)."""
    from nlp.boilerplate import html_to_text
    result["document"]["text"] = html_to_text(result.pop("_html"))


def finish(result: dict) -> dict:
    """Final touches once all steps have run: counts, and no internal keys left."""
    if "_html" in result:
        _html_to_text(result)
    doc = result["document"]
    doc["counts"] = {
        "characters": len(doc["text"]),
        **({"sentences": len(result["sentences"])} if "sentences" in result else {}),
        **({"tokens": len(result["tokens"])} if "tokens" in result else {}),
        **({"entities": len(result["entities"])} if "entities" in result else {}),
    }
    return result


def enrich(article: dict, steps: Iterable[str] | None = None,
           engines: dict | None = None) -> dict:
    """Run the whole pipeline in-process and return the result document."""
    result = new_result(article)
    for step in resolve_steps(steps):
        run_step(step, result, engines)
    return finish(result)
