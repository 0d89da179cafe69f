"""Property tests (hypothesis, bounded) of the whole pipeline, ``nlp.enrich``.

On arbitrary Unicode (lone surrogates, controls, bidi marks, combining marks, Arabic-heavy
mixtures) and on HTML-ish markup, with every step:
- it returns a result or raises ``PipelineError`` (the one error a client may see),
  never anything else;
- every span is valid: sentences, tokens and entities lie within the document text, are
  ordered, and tokens and entities slice the text exactly (text[start:end] == span text);
  entities lie inside one sentence's bounds, groups point at their first mention;
- the boilerplate layer's removed blocks slice the input they were cut from (the text as
  given, or for HTML the text extracted from it, ``boilerplate.input_text``);
- the counts agree with the layers.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp import PipelineError, available_steps, enrich

ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإؤئةى"
MARKS = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0640"   # harakat, tatweel
SPACES = " \n\t\u00a0\u200f\u200e\u200b\u2029"                    # incl. RLM/LRM/ZWSP
PUNCT = ".،؛؟!:\"'()[]«»-–—…%٪/"
DIGITS = "0123456789٠١٢٣٤٥٦٧٨٩"

arabic_ish = st.text(alphabet=st.sampled_from(ARABIC + MARKS + SPACES + PUNCT + DIGITS + "abcXYZ@#"),
                     max_size=300)
anything = st.text(alphabet=st.characters(blacklist_categories=()), max_size=200)  # surrogates too
words = st.lists(st.sampled_from(["قال", "الرئيس", "محمد", "في", "القاهرة", "إن", "العلاقات",
                                  "مع", "الأردن", "جيدة", "وزارة", "الخارجية", "الأمم", "المتحدة",
                                  "عبد", "الله", ".", "،", "\n", "http://x.y/z", "a@b.co", "2024"]),
                 max_size=60).map(" ".join)
texts = st.one_of(arabic_ish, anything, words, st.tuples(words, anything).map("".join))

TAGS = ["p", "div", "nav", "footer", "header", "script", "style", "a", "li", "ul", "h1", "span",
        "article", "aside", "br", "!--", "title", "meta"]
html_ish = st.lists(st.one_of(
    st.sampled_from(TAGS).map(lambda t: f"<{t}>"),
    st.sampled_from(TAGS).map(lambda t: f"</{t}>"),
    st.sampled_from(["<p class='x'>", "<a href='/y'>", "&amp;", "&#1576;", "&nbsp;", "<", ">", "&",
                     "<![CDATA[", "]]>", "<html><body>", "</body></html>"]),
    words, arabic_ish), max_size=30).map("".join)

SETTINGS = settings(max_examples=200, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def run(article: dict) -> dict | None:
    try:
        return enrich(article, available_steps())
    except PipelineError as exc:
        assert str(exc), "a PipelineError must say why"
        return None


def check_result(result: dict, given_text: str | None) -> None:
    doc = result["document"]
    text = doc["text"]
    n = len(text)
    assert doc["counts"]["characters"] == n
    prev = 0
    for s in result.get("sentences", []):
        assert prev <= s["start"] < s["end"] <= n, s
        prev = s["end"]
    prev = 0
    for t in result.get("tokens", []):
        assert prev <= t["start"] < t["end"] <= n, t
        assert text[t["start"]:t["end"]] == t["text"], t
        prev = t["end"]
    if "tokens" in result:
        assert doc["counts"]["tokens"] == len(result["tokens"])
        assert doc["counts"]["sentences"] == len(result["sentences"])
    sentences = result.get("sentences", [])
    prev = 0
    for e in result.get("entities", []):
        assert prev <= e["start"] < e["end"] <= n, e
        assert text[e["start"]:e["end"]] == e["text"], e
        assert any(s["start"] <= e["start"] and e["end"] <= s["end"] for s in sentences), e
        prev = e["end"]
    groups = {g["id"]: g for g in result.get("entity_groups", [])}
    for e in result.get("entities", []):
        g = groups[e["entity"]]
        assert e["text"] in g["variants"] and g["type"] == e["type"]
    for g in groups.values():
        assert any(e["start"] == g["first_start"] for e in result["entities"] if e["entity"] == g["id"])
    if "entities" in result:
        assert doc["counts"]["entities"] == len(result["entities"])
    bp = result.get("boilerplate")
    if bp is not None:
        source = bp.get("input_text", given_text)
        assert source is not None, "HTML input: the extracted text must be in the result"
        prev = 0
        for b in bp["blocks"]:
            assert prev <= b["start"] <= b["end"] <= len(source), b
            assert source[b["start"]:b["end"]] == b["text"], b
            prev = b["end"]
    if given_text is not None and "boilerplate" not in result.get("steps", []):
        assert text == given_text


@SETTINGS
@given(texts)
def test_any_text_gives_valid_spans_or_a_pipeline_error(text):
    result = run({"text": text})
    if result is not None:
        check_result(result, text)


@SETTINGS
@given(html_ish)
def test_any_html_gives_valid_spans_or_a_pipeline_error(html):
    if "boilerplate" not in available_steps():
        pytest.skip("no boilerplate layer in this build")
    result = run({"html": html})
    if result is not None:
        check_result(result, None)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(texts, st.sampled_from([["segmentation"], ["entities"], ["boilerplate"], ["boilerplate", "segmentation"]]))
def test_any_subset_of_steps_gives_valid_spans_or_a_pipeline_error(text, steps):
    steps = [s for s in steps if s in available_steps()]
    try:
        result = enrich({"text": text}, steps)
    except PipelineError:
        return
    check_result(result, text)


def test_the_properties_are_not_vacuous():
    """The generators above mostly give input the pipeline works on, not just errors."""
    from hypothesis import find
    def works(t):
        result = run({"text": t})
        return bool(result and result.get("tokens") and result.get("sentences"))
    example = find(words, works, settings=settings(database=None, derandomize=True))
    result = run({"text": example})
    check_result(result, example)
