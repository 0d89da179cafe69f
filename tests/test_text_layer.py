"""The text layer as a pipeline step: apply(), bad input, and the command line."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nlp import PipelineError, enrich, new_document
from nlp.text import analyse, apply, get_segmenter

ROOT = Path(__file__).resolve().parent.parent


def run_apply(text, engine=None):
    doc = new_document({"text": text})
    apply(doc, engine=engine)
    return doc.to_json()


def test_apply_writes_layers_and_engines():
    result = run_apply("قال الرئيس: «العلاقات جيدة». وأضاف")
    assert [result["document"]["text"][s["start"]:s["end"]] for s in result["sentences"]] == [
        "قال الرئيس: «العلاقات جيدة».", "وأضاف"]
    assert result["tokens"][1] == {"text": "الرئيس", "start": 4, "end": 10, "kind": "word",
                                   "segments": ["ال", "رئيس"]}
    assert result["engines"]["segmentation"]["name"] == "builtin"
    assert result["engines"]["segmentation"]["version"].startswith("Farasa ")
    assert set(result["engines"]["sentences"]) == {"name", "version"}
    json.dumps(result, ensure_ascii=False)


def test_get_segmenter_is_cached_and_named():
    a, b = get_segmenter(), get_segmenter("builtin")
    assert a is b and a.name == "builtin"
    with pytest.raises(PipelineError, match="unknown segmentation engine"):
        get_segmenter("nope")


# -- bad input: a sensible empty layer, never an exception -----------------------------

@pytest.mark.parametrize("text", ["", "   \n\t \r\n", "\u200f\u200e\ufeff"])
def test_empty_or_blank_text_gives_empty_layers(text):
    result = run_apply(text)
    assert result["sentences"] == [] and result["tokens"] == []
    assert "segmentation" in result["engines"]


def test_text_without_arabic():
    res = analyse("Hello world. Second one!\n12 34")
    assert [t["kind"] for t in res["tokens"]] == ["latin", "latin", "punct", "latin", "latin",
                                                  "punct", "number", "number"]
    assert len(res["sentences"]) == 3
    assert all(t["segments"] == [t["text"]] for t in res["tokens"])


def test_nul_controls_and_lone_surrogates():
    text = "قال\x00الرئيس\x07 \ud800 العلاقات\udfff. \x1b[31mنعم"
    res = analyse(text)
    words = [t["text"] for t in res["tokens"] if t["kind"] == "word"]
    assert words == ["قال", "الرئيس", "العلاقات", "نعم"]
    for t in res["tokens"]:
        assert text[t["start"]:t["end"]] == t["text"]
        assert "\x00" not in t["text"] and "\ud800" not in t["text"]


def test_non_string_input_is_an_empty_text():
    doc = new_document({"text": "x"})
    doc.text = None
    apply(doc)
    result = doc.to_json()
    assert result["tokens"] == [] and result["sentences"] == []


def test_one_megabyte_of_text():
    seed = (ROOT / "seeds" / "002_de4acbd561a5e82b.txt").read_text(encoding="utf-8")
    text = (seed + "\n") * (1_000_000 // (len(seed) + 1) + 1)
    assert len(text) >= 1_000_000
    res = analyse(text)
    assert res["tokens"][-1]["end"] <= len(text)
    assert len(res["sentences"]) > 1000


def test_one_megabyte_without_spaces_or_line_breaks():
    text = "ب" * 1_000_000
    res = analyse(text)
    assert len(res["tokens"]) == 1 and res["tokens"][0]["segments"] == [text]
    assert res["sentences"] == [{"start": 0, "end": 1_000_000}]


def test_enrich_segmentation_only():
    out = enrich({"text": "والعلاقات جيدة."}, ["segmentation"])
    assert out["steps"] == ["segmentation"]
    assert out["document"]["counts"] == {"characters": 15, "sentences": 1, "tokens": 3}


def test_command_line_prints_the_result_document(tmp_path):
    article = tmp_path / "a.txt"
    article.write_text("بوتين: «وثيقة جديدة» للعلاقات.\nسطر ثان", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "workers.cli", "--steps", "segmentation",
                           "--engine", "builtin", str(article)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    text = doc["document"]["text"]
    assert [text[s["start"]:s["end"]] for s in doc["sentences"]] == [
        "بوتين: «وثيقة جديدة» للعلاقات.", "سطر ثان"]
    tok = next(t for t in doc["tokens"] if t["text"] == "للعلاقات")
    assert tok["segments"] == ["ل", "ال", "علاق", "ات"]
    assert doc["engines"]["segmentation"]["name"] == "builtin"
