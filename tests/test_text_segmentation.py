"""Segmentation engine `builtin` (Farasa port + rules): scheme, normalisation, exactness
of the fast re-implementation, bounded cache, and accuracy on the WikiNews dev half."""
from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

import farasa.segmentation as port  # the PyPI "Farasa" port, imported by submodule
from nlp.text import analyse, fastport, get_segmenter
from nlp.text.segmenters import BuiltinSegmenter

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="module")
def seg():
    return get_segmenter("builtin")


# Farasa-scheme gold, from the issue and from Farasa's published examples.
@pytest.mark.parametrize("word, segments", [
    ("والعلاقات", ["و", "ال", "علاق", "ات"]),
    ("بالتعاون", ["ب", "ال", "تعاون"]),
    ("ستعمل", ["س", "تعمل"]),
    ("للمحتوى", ["ل", "ال", "محتوى"]),       # surface لل, Farasa's ل+ال
    ("الأكاديمية", ["ال", "أكاديمي", "ة"]),
    ("أعلنت", ["أعلن", "ت"]),
    ("يستعملون", ["يستعمل", "ون"]),          # rule R1 (the raw port leaves it whole)
    ("ستموت", ["س", "تموت"]),                # rule R2
    ("دراستنا", ["دراس", "ت", "نا"]),         # rule R3
])
def test_farasa_scheme(seg, word, segments):
    assert seg.segment_words([word]) == [segments]


def test_tanween_and_tatweel_do_not_change_the_split(seg):
    (a,), (b,) = seg.segment_words(["أيضاً"]), seg.segment_words(["أيضا"])
    assert [s.replace("\u064B", "") for s in a] == b
    assert "".join(a) == "أيضاً"  # surface kept: the tanween stays on its segment
    assert seg.segment_words(["الـعلاقـات"]) == [["الـ", "علاقـ", "ات"]]


def test_persian_letters_on_the_seeds_segment_like_arabic(seg):
    text = (SEEDS / "000_057c1d3d53202a94.txt").read_text(encoding="utf-8")
    persian = sorted({w for w in re.findall(r"\w+", text) if re.search("[یکۀھ]", w)})
    assert {"الرئیس", "کوریا"} <= set(persian)
    table = str.maketrans({"ی": "ي", "ک": "ك", "ۀ": "ة", "ھ": "ه"})
    for word in persian:
        ours = seg.segment_words([word])[0]
        arabic = seg.segment_words([word.translate(table)])[0]
        assert [s.translate(table) for s in ours] == arabic, word
    assert seg.segment_words(["الرئیس"]) == [["ال", "رئیس"]]


def test_final_persian_yeh_may_be_alef_maksura(seg):
    # موسی is موسى in Arabic spelling; الروسی is الروسي.
    assert seg.segment_words(["موسی", "الروسی"]) == [["موسی"], ["ال", "روسی"]]


def test_fastport_gives_the_ports_answers():
    """fastport re-implements the port's search; it must score and rank identically."""
    words = (SEEDS / "001_3bc77018b8995a9c.txt").read_text(encoding="utf-8").split()
    words = [w for w in words if re.fullmatch("[\u0621-\u064A]+", w)]
    rng = random.Random(7)
    sample = rng.sample(sorted(set(words)), 150) + ["للمحتوى", "وللعلاقات", "فللشركة",
                                                     "استراتيجياتهما", "ا", "و"]
    for w in sample:
        assert fastport.most_likely_partitions(w, 3) == port.mostLikelyPartition(w, 3), w
        assert fastport._partitions(w) == port.getAllPossiblePartitionsOfString(w), w
        for p in port.getAllPossiblePartitionsOfString(w)[:40]:
            assert fastport.proper_segmentation(p) == port.getProperSegmentation(p), p


def test_word_cache_is_bounded():
    small = BuiltinSegmenter(cache_size=50)
    words = [f"كلمة{'ب' * (i % 7)}{'ت' * (i // 7)}" for i in range(200)]
    small.segment_words(words)
    assert small.cache_info().currsize <= 50
    before = len(port.hmSeenBefore)
    small.segment_words(["زقزقتهما", "بلبلاتهن"])
    assert len(port.hmSeenBefore) == before  # the port's own cache is never written


def test_analyse_segments_words_only(seg):
    res = analyse("والعلاقات 2022 OK.", seg)
    assert [t["segments"] for t in res["tokens"]] == [["و", "ال", "علاق", "ات"], ["2022"],
                                                       ["OK"], ["."]]


GOLD = ROOT / "data" / "segmentation" / "wikinews-farasa" / "WikiNews.dev.pos.ref"


def test_accuracy_on_wikinews_dev_at_least_java_farasa(seg):
    from bench.bench_segmentation_accuracy import desegment, load_gold
    gold = load_gold(GOLD)
    out = seg.segment_words([desegment(g) for g in gold])
    correct = sum("+".join(o) == g for o, g in zip(out, gold))
    assert correct / len(gold) >= 0.9879  # Java Farasa on the same words


def test_tokens_carry_the_normalised_segments_an_index_wants():
    from nlp.text import analyse

    def segs(word):
        (token,) = analyse(word)["tokens"]
        return token.get("norm_segments", token["segments"])

    assert segs("أيضاً") == segs("أيضا") == ["أيض", "ا"]
    assert segs("الرئیس") == segs("الرئيس") == ["ال", "رئيس"]
    assert segs("کوریا") == segs("كوريا")
    assert segs("الـعلاقـات") == segs("العلاقات")
    (plain,) = analyse("والعلاقات")["tokens"]
    assert "norm_segments" not in plain  # only where normalisation changed something


def test_a_cut_inside_a_ligature_keeps_the_word_whole(seg):
    # ﻻ is one surface character for two letters (لا): a segment boundary between them has
    # no surface, and segments must always join back to the word.
    for word in ("لﻼجئين", "ﻻجئون", "وﻻية"):
        (segs,) = seg.segment_words([word])
        assert all(segs) and "".join(segs) == word, (word, segs)
