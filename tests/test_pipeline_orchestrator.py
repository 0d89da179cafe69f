"""The step registry and result skeleton every layer and the service rely on."""
import json
import subprocess
import sys

from pathlib import Path

import pytest

import nlp as pipeline
from nlp import (STEPS, PipelineError, StepUnavailable, UnknownStep, enrich,
                              new_document, resolve_steps)

ROOT = Path(__file__).resolve().parent.parent


def test_steps_run_in_canonical_order_with_dependencies():
    have = pipeline.available_steps()
    if "entities" not in have:
        pytest.skip("entity layer not in this build")
    assert resolve_steps(["entities", "boilerplate"]) == ["boilerplate", "segmentation", "entities"]
    assert resolve_steps(["entities"]) == ["segmentation", "entities"]


def test_no_steps_asked_means_every_available_step():
    assert resolve_steps(None) == list(pipeline.available_steps())


def test_unknown_step_is_refused_with_its_name():
    with pytest.raises(UnknownStep, match="'sentiment'"):
        resolve_steps(["sentiment"])


def test_missing_layer_is_refused(monkeypatch):
    monkeypatch.setattr(pipeline, "available_steps", lambda: ("boilerplate",))
    with pytest.raises(StepUnavailable, match="'segmentation'"):
        resolve_steps(["segmentation"])


@pytest.mark.parametrize("article", [{}, {"text": "a", "html": "<p>a</p>"}])
def test_exactly_one_of_text_or_html(article):
    with pytest.raises(PipelineError):
        new_document(article)


def test_no_steps_keeps_the_text_as_given():
    text = "  نص كما هو\n"
    result = enrich({"text": text, "title": "عنوان"}, steps=[])
    assert result["document"]["text"] == text
    assert result["input"] == {"format": "text", "title": "عنوان"}
    assert result["steps"] == [] and "_html" not in result
    json.dumps(result)  # JSON-serialisable: it travels between Celery tasks


def test_every_step_is_timed_and_names_its_engine():
    steps = list(pipeline.available_steps())
    if not steps:
        pytest.skip("no layer in this build")
    result = enrich({"text": "قال الرئيس إن الاجتماع انتهى."}, steps=steps)
    assert result["steps"] == steps
    assert set(result["timings_ms"]) == set(steps)
    assert result["engines"], "each layer records the engine behind it"


def test_cli_refuses_an_unknown_step():
    proc = subprocess.run([sys.executable, "-m", "workers.cli", "--steps", "nope", "-"],
                          input=b"x", capture_output=True, cwd=ROOT)
    assert proc.returncode == 2
    assert b"unknown step" in proc.stderr


def test_cli_prints_one_json_document():
    proc = subprocess.run([sys.executable, "-m", "workers.cli", "--steps", "", "-"],
                          input="نص".encode(), capture_output=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["document"]["text"] == "نص"


def test_steps_constant_matches_the_contract():
    assert STEPS == ("boilerplate", "segmentation", "entities")


def test_html_without_the_cleaner_is_still_analysed():
    if "segmentation" not in pipeline.available_steps():
        pytest.skip("text layer not in this build")
    html = "<html><body><article><p>قال الرئيس محمد في القاهرة إن العلاقات جيدة.</p></article></body></html>"
    result = enrich({"html": html}, steps=["segmentation"])
    assert result["steps"] == ["segmentation"] and "_html" not in result
    text = result["document"]["text"]
    assert "القاهرة" in text
    assert [text[t["start"]:t["end"]] for t in result["tokens"]][:2] == ["قال", "الرئيس"]
