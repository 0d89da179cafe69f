"""The ``farasa`` entity engine.

STAND-IN, NOT FARASA: the real FarasaNERJar cannot be obtained here. These tests check the
engine's plumbing only — the shared line-protocol process (nlp.farasa_process,
the same module the text layer's farasa segmenter uses), parsing of Farasa's
``word/TAG`` answer lines, alignment back to code-point offsets, proclitic trimming, restart
after a crash, and the clear error when no jar is configured. The stand-in below is a tiny
Python program speaking the jar's interactive protocol with a toy "tagger" (a word list);
its tags say nothing about Farasa's quality.
"""
from __future__ import annotations

import sys
import textwrap

import pytest

from nlp import Document, PipelineError, enrich
from nlp.entities import apply
from nlp.entities.farasa_engine import FarasaNerEngine, align, parse_line
from nlp.farasa_process import LineProcess

STAND_IN = textwrap.dedent('''
    # STAND-IN, NOT FARASA: answers one line per line like FarasaNERJar in interactive mode.
    import os, re, sys
    TOY = {"موسكو": "LOC", "روسيا": "LOC", "بوتين": "PERS", "البنتاغون": "ORG"}
    TWO = {("بيونغ", "يانغ"): "LOC", ("كيم", "جونغ"): "PERS"}
    for line in sys.stdin:
        words = re.findall(r"\\w+|[^\\w\\s]", line)   # splits punctuation off, as Farasa does
        if words == ["DIE_ONCE"] and os.path.exists(os.environ["MARKER"]):
            os.remove(os.environ["MARKER"]); sys.exit(4)
        out, i = [], 0
        while i < len(words):
            w = words[i]
            pair = (w[1:] if w[:1] == "و" else w, *words[i + 1:i + 2])
            if tuple(words[i:i + 2]) in TWO or pair in TWO:
                t = TWO.get(tuple(words[i:i + 2])) or TWO[pair]
                out += [w + "/B-" + t, words[i + 1] + "/I-" + t]; i += 2; continue
            bare = w[1:] if w[:1] in ("و", "ب") and w[1:] in TOY else w
            out.append(w + ("/B-" + TOY[bare] if bare in TOY else "/O")); i += 1
        print(" ".join(out), flush=True)
''')


@pytest.fixture
def engine(tmp_path, monkeypatch):
    script = tmp_path / "standin_ner.py"
    script.write_text(STAND_IN, encoding="utf-8")
    monkeypatch.setenv("MARKER", str(tmp_path / "marker"))
    proc = LineProcess([sys.executable, "-u", str(script)], name="standin-ner",
                       call_timeout=20, startup_timeout=20)
    eng = FarasaNerEngine(tmp_path / "FarasaNERJar.jar", process=proc)
    yield eng
    eng.close()


def test_parse_and_align():
    assert parse_line("زار/O بوتين/B-PERS موسكو/B-LOC ./O x") == [
        ("زار", "O"), ("بوتين", "B-PER"), ("موسكو", "B-LOC"), (".", "O"), ("x", "O")]
    text = "زار بوتين موسكو."
    assert align(text, 0, ["زار", "بوتين", "موسكو", ".", "غائب"]) == [
        (0, 3), (4, 9), (10, 15), (15, 16), None]


def test_standin_engine_through_the_layer(engine):
    text = "وصل بوتين إلى وبيونغ يانغ، ثم عاد إلى موسكو. واتهم البنتاغون روسيا."
    doc = Document.from_json(enrich({"text": text}, ["segmentation"]))
    apply(doc, engine=engine)
    result = doc.to_json()
    got = [(e["text"], e["type"]) for e in result["entities"]]
    assert got == [("بوتين", "PER"), ("بيونغ يانغ", "LOC"), ("موسكو", "LOC"),
                   ("البنتاغون", "ORG"), ("روسيا", "LOC")]
    for e in result["entities"]:
        assert text[e["start"]:e["end"]] == e["text"]
    assert result["engines"]["entities"]["name"] == "farasa"
    assert result["entity_groups"] and all(g["mentions"] == 1 for g in result["entity_groups"])


def test_standin_restart_after_crash(engine, tmp_path):
    (tmp_path / "marker").write_text("x")
    first_pid = (engine.process.start(), engine.process.pid)[1]
    assert engine.process.call("DIE_ONCE") == "DIE_ONCE/O"  # died once, restarted, answered
    assert engine.process.restarts == 1 and engine.process.pid != first_pid
    doc = Document.from_json(enrich({"text": "زار بوتين موسكو"}, ["segmentation"]))
    apply(doc, engine=engine)
    result = doc.to_json()
    assert [e["text"] for e in result["entities"]] == ["بوتين", "موسكو"]


def test_no_jar_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("FARASA_NER_JAR", str(tmp_path / "missing.jar"))
    from nlp.entities import _ENGINES
    _ENGINES.pop("farasa", None)
    doc = Document.from_json(enrich({"text": "زار بوتين موسكو"}, ["segmentation"]))
    with pytest.raises(PipelineError) as err:
        apply(doc, engine="farasa")
    assert "FARASA_NER_JAR" in str(err.value)


def test_auto_without_the_jar_falls_back_to_builtin_and_says_so(monkeypatch, tmp_path):
    from nlp import entities
    monkeypatch.delenv("FARASA_NER_JAR", raising=False)
    monkeypatch.setenv("FARASA_BIN_DIR", str(tmp_path))
    monkeypatch.setattr("farasa.ner.FarasaNamedEntityRecognizer.bin_dir", tmp_path)
    entities._ENGINES.pop("auto", None)
    entities._ENGINES.pop("farasa", None)
    try:
        doc = Document("قال الرئيس الروسي فلاديمير بوتين في موسكو")
        entities.apply(doc, engine="auto")
        result = doc.to_json()
        info = result["engines"]["entities"]
        assert info["name"] == "builtin" and "unavailable" in info["fallback"]
        assert str(tmp_path) not in info["fallback"]  # no host paths in a client's result
        assert [e["text"] for e in result["entities"]] == ["فلاديمير بوتين", "موسكو"]
    finally:
        entities._ENGINES.pop("auto", None)
