"""Property tests (hypothesis, bounded) of the text layer on random Unicode and on the seeds.

For every text: tokens slice the text exactly, are ordered and do not overlap; every token
lies inside exactly one sentence; sentences are ordered, disjoint and non-blank; an Arabic
word's segments join back to the word (Farasa's ل+ال for a leading لل undone).
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp.text import analyse, get_segmenter

SEEDS = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))


def rejoins(segments: list[str], word: str) -> bool:
    """Do the segments give back the word? Either they are a plain partition of it, or
    Farasa's ل+ال for a surface لل (after an optional و/ف): the ا of the segment after
    that ل is not in the surface (للَّمحتوى -> ل, الَّ, محتوى)."""
    if "".join(segments) == word:
        return True
    segs = list(segments)
    for i in (0, 1):
        if (len(segs) > i + 1 and segs[i] == "ل" and segs[i + 1].startswith("ال")
                and (i == 0 or segs[0] in ("و", "ف"))):
            segs[i + 1] = segs[i + 1][1:]
            return "".join(segs) == word
    return False


def check_layers(text: str, res: dict) -> None:
    tokens, sentences = res["tokens"], res["sentences"]
    prev_end = 0
    for t in tokens:
        assert text[t["start"]:t["end"]] == t["text"]
        assert t["start"] >= prev_end and t["end"] > t["start"]
        prev_end = t["end"]
        assert t["segments"], t
        if t["kind"] == "word":
            assert rejoins(t["segments"], t["text"]), t
        else:
            assert t["segments"] == [t["text"]]
    prev = 0
    for s in sentences:
        assert prev <= s["start"] < s["end"] <= len(text)
        assert text[s["start"]:s["end"]].strip()
        prev = s["end"]
    for t in tokens:
        inside = [s for s in sentences if s["start"] <= t["start"] and t["end"] <= s["end"]]
        assert len(inside) == 1, t


@pytest.fixture(scope="module")
def seg():
    return get_segmenter("builtin")


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem)
def test_seed_invariants(path, seg):
    text = path.read_text(encoding="utf-8")
    res = analyse(text, seg)
    assert len(res["tokens"]) > 300
    check_layers(text, res)


# Arabic-heavy alphabet with the characters that make offsets hard: marks, tatweel,
# Persian letters, invisible marks, both digit sets, quotes, terminators, line breaks.
ARABIC_ALPHABET = ("ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأإؤئةى" "ًٌٍَُِّْـٰ" "یکۀھ" "\u200c\u200f\u061c\ufeff"
                   "0123456789٠١٢٣٤٥٦٧٨٩" ".،؛؟!…«»“”\"':-/@ \n\t" "abcXYZ" "لل")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=ARABIC_ALPHABET, max_size=120))
def test_random_arabic_like_text(seg, text):
    check_layers(text, analyse(text, seg))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80))  # any code points, including controls and lone surrogates
def test_random_unicode(seg, text):
    check_layers(text, analyse(text, seg))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_slices_of_seeds(seg, data):
    text = data.draw(st.sampled_from(SEEDS)).read_text(encoding="utf-8")
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 400)))
    check_layers(text[start:end], analyse(text[start:end], seg))


# Pieces that hit the hard cases often: لل/ولل/فلل prefixes, marks on the lams, tatweel,
# Persian letters, suffixes the rules look at, and separators.
PIECES = ["لل", "ولل", "فلل", "لال", "ال", "و", "ف", "ب", "س", "ل", "َّ", "ً", "ـ", "ی", "ک",
          "علاق", "محتوى", "يستعمل", "تموت", "دراس", "ة", "ت", "ات", "ون", "ان", "نا", "ها",
          "\u200c", "\u200f", " ", " ", "\n", ". ", "؟", "«", "»", "2022", "٢٠"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=25).map("".join))
def test_random_clitic_heavy_text(seg, text):
    check_layers(text, analyse(text, seg))
