"""The typed stand-off Document: spans derive their text from offsets, a span outside its
text is refused, and the JSON edge round-trips exactly (what the job layer relies on when
it stores a partial document between tasks)."""
from __future__ import annotations

import json

import pytest

import nlp
from nlp import Document, SpanError
from nlp.document import Block, Boilerplate
from tests.test_seed_snapshots import _inputs

SEEDS = _inputs()


def test_spans_derive_their_text_from_offsets():
    doc = Document("قال بوتين في موسكو")
    tok = doc.token(4, 9, "word", ["بوتين"])
    ent = doc.entity(13, 18, "LOC", 0)
    assert tok.text == "بوتين" and ent.text == "موسكو"
    assert tok.to_json() == {"text": "بوتين", "start": 4, "end": 9, "kind": "word", "segments": ["بوتين"]}
    assert ent.to_json()["text"] == "موسكو"
    # a span has no text of its own to disagree with its offsets
    assert not hasattr(ent, "__dict__")
    with pytest.raises(AttributeError):
        ent.text = "لندن"


@pytest.mark.parametrize("start,end", [(-1, 3), (0, 19), (5, 4), (18, 19), (True, 3), (0, 2.0)])
def test_a_span_outside_the_text_is_refused(start, end):
    doc = Document("قال بوتين في موسكو")
    with pytest.raises(SpanError):
        doc.sentence(start, end)
    with pytest.raises(SpanError):
        doc.entity(start, end, "PER", 0)


def test_json_with_a_span_outside_the_text_is_refused():
    good = nlp.enrich({"text": "زار بوتين موسكو"}, ["entities"])
    bad = json.loads(json.dumps(good))
    bad["entities"][-1]["end"] = len(good["document"]["text"]) + 5
    with pytest.raises(SpanError):
        Document.from_json(bad)
    moved = json.loads(json.dumps(good))
    moved["tokens"][0]["start"] += 1  # offsets that no longer give the token's text
    with pytest.raises(SpanError):
        Document.from_json(moved)


def test_the_text_cannot_change_under_its_layers():
    doc = nlp.new_document({"text": "زار بوتين موسكو"})
    nlp.run_step("segmentation", doc)
    with pytest.raises(SpanError):
        doc.text = "نص آخر"


def test_boilerplate_blocks_index_the_input_text():
    bp = Boilerplate.of("الرئيسية / أخبار\nنص", from_html=False,
                        blocks=[{"kind": "breadcrumb", "start": 0, "end": 16}],
                        kept=[{"start": 17, "end": 19, "at": 0}], found={})
    assert isinstance(bp.blocks[0], Block) and bp.blocks[0].text == "الرئيسية / أخبار"
    with pytest.raises(SpanError):
        Boilerplate.of("قصير", from_html=False, blocks=[{"kind": "x", "start": 0, "end": 9}],
                       kept=[], found={})


def _check_round_trip(d: dict) -> None:
    wire = json.loads(json.dumps(d, ensure_ascii=False))  # what a broker or store gives back
    again = Document.from_json(wire).to_json()
    assert again == d
    assert list(again) == list(d) and list(again["document"]) == list(d["document"])


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_round_trip_after_every_step_on_the_seeds(name):
    """Each step's partial document survives to_json/from_json exactly, and a pipeline
    resumed from the JSON after each step gives the same result as one run straight."""
    article = SEEDS[name]
    doc = nlp.new_document(article)
    _check_round_trip(doc.to_json())
    for step in nlp.resolve_steps(None):
        nlp.run_step(step, doc)
        _check_round_trip(doc.to_json())
        doc = Document.from_json(json.loads(json.dumps(doc.to_json())))
    final = nlp.finish(doc)
    _check_round_trip(final)
    straight = nlp.enrich(article)
    final.pop("timings_ms"), straight.pop("timings_ms")
    assert final == straight


def test_pending_html_travels_as_a_private_key_and_never_reaches_the_result():
    doc = nlp.new_document({"html": "<html><body><p>قال الرئيس إن العلاقات جيدة.</p></body></html>"})
    partial = doc.to_json()
    assert "_html" in partial and partial["document"]["text"] == ""
    _check_round_trip(partial)
    result = nlp.finish(Document.from_json(partial))
    assert "_html" not in result and "العلاقات" in result["document"]["text"]


def test_to_json_is_a_copy():
    doc = nlp.new_document({"text": "زار بوتين موسكو"})
    nlp.run_step("segmentation", doc)
    out = doc.to_json()
    out["tokens"][0]["text"] = "x"
    out["engines"]["segmentation"]["name"] = "changed"
    out["steps"].append("x")
    fresh = doc.to_json()
    assert fresh["tokens"][0]["text"] == "زار" and fresh["steps"] == ["segmentation"]
    assert fresh["engines"]["segmentation"]["name"] == "builtin"
