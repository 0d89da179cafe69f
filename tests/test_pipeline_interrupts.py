"""Layers contain failures on purpose (a bug on one word keeps the word whole, hostile
markup falls back to plain text), but never an interrupt the worker registered, such as
Celery's soft time limit: that must stop the step, or a time limit would not hold."""
import pytest

import nlp as pipeline
from nlp.boilerplate import html as html_mod
from nlp.text.segmenters import BuiltinSegmenter


class Stop(Exception):
    """Stands in for celery.exceptions.SoftTimeLimitExceeded (also a plain Exception)."""


@pytest.fixture()
def stop_registered(monkeypatch):
    monkeypatch.setattr(pipeline, "_INTERRUPTS", [])
    pipeline.register_interrupt(Stop)


def _failing_segmenter(monkeypatch, exc):
    engine = BuiltinSegmenter(cache_size=16)

    def boom(norm):
        raise exc

    monkeypatch.setattr(engine, "_segment_norm", boom)
    return engine


def test_a_bug_on_one_word_keeps_the_word_whole(monkeypatch, stop_registered):
    engine = _failing_segmenter(monkeypatch, IndexError("port bug"))
    assert engine.segment_words(["والكتاب"]) == [["والكتاب"]]


def test_a_registered_interrupt_goes_through_the_segmenter(monkeypatch, stop_registered):
    engine = _failing_segmenter(monkeypatch, Stop())
    with pytest.raises(Stop):
        engine.segment_words(["والكتاب"])


def test_a_registered_interrupt_goes_through_the_html_fallbacks(monkeypatch, stop_registered):
    import trafilatura

    def stopped(*_a, **_k):
        raise Stop()

    monkeypatch.setattr(trafilatura, "bare_extraction", stopped)
    with pytest.raises(Stop):
        html_mod.extract("<html><body><p>نص الخبر</p></body></html>")


def test_the_worker_registers_celerys_soft_time_limit():
    from celery.exceptions import SoftTimeLimitExceeded
    import workers.tasks  # noqa: F401 - registers on import
    assert pipeline.is_interrupt(SoftTimeLimitExceeded())
