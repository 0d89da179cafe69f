"""Boilerplate layer: what real pages do (regression articles written for this project in
devset/realpatterns/, one per pattern met on real scraped pages), and what a client sending
plain prose must get back."""
from __future__ import annotations

import pytest

from bench.bench_boilerplate import CORPORA, load_corpus
from nlp.boilerplate import clean
from nlp.boilerplate.lines import split_lines
from nlp.boilerplate.metadata import clean_source, parse_date

PATTERNS = load_corpus(CORPORA["realpatterns"])
FIELDS = ("title", "source", "tags", "author", "published_at", "breadcrumb", "related")


def test_there_is_one_article_per_pattern():
    assert len(PATTERNS) >= 8


@pytest.mark.parametrize("name,text,gold", PATTERNS, ids=[n for n, _, _ in PATTERNS])
def test_pattern_body_lines_and_fields(name, text, gold):
    c = clean(text)
    got = {ln.number: lab for ln, (_, _, lab) in zip(split_lines(text), c.labels)}
    wrong = [(g["line"], g["label"], got[g["line"]]) for g in gold["lines"]
             if (g["label"] == "body") != (got[g["line"]] == "body")]
    assert not wrong
    for f in FIELDS:
        assert (c.found[f] or None) == (gold[f] or None), f


README_SENTENCE = "أكد الزعيم الكوري الشمالي كيم جونغ أون ..."


@pytest.mark.parametrize("text", [
    README_SENTENCE,                                                        # the README's example
    "أكد الوزير أن الحكومة ستعلن خطتها الجديدة للنقل العام خلال الأسبوع المقبل",  # no full stop
    # a text the caller already cleaned, paragraphs without final stops
    "أعلنت الحكومة خطة جديدة للنقل العام تشمل حافلات كهربائية وخطوطا جديدة تربط الأحياء البعيدة بوسط المدينة\n"
    "وقال وزير النقل إن المرحلة الأولى تبدأ في الربيع المقبل وتكتمل خلال عامين بتمويل من الموازنة العامة",
])
def test_plain_prose_a_client_sends_keeps_its_body(text):
    c = clean(text)
    assert c.text == text
    assert "all_boilerplate" not in c.flags
    assert c.found["title"] is None


def test_one_paragraph_article_and_article_without_headline():
    one = ("أعلنت وزارة الزراعة أن موسم الحصاد بدأ مبكرا هذا العام بسبب ارتفاع درجات الحرارة، "
           "وأن الإنتاج المتوقع يفوق العام الماضي.")
    assert clean(one).text == one
    no_head = one + "\n\nوأضافت الوزارة أن الأسعار ستبقى مستقرة حتى نهاية الموسم."
    c = clean(no_head)
    assert c.text == one + "\nوأضافت الوزارة أن الأسعار ستبقى مستقرة حتى نهاية الموسم."
    assert c.found["title"] is None


def test_client_title_that_matches_no_line_does_not_empty_the_text():
    from tests.test_boilerplate_apply import _run
    r = _run({"text": README_SENTENCE, "title": "عنوان آخر لا يطابق أي سطر"})
    assert r["document"]["text"] == README_SENTENCE
    assert r["document"]["title"] == "عنوان آخر لا يطابق أي سطر"


def test_bracketed_source_keeps_its_closing_bracket():
    assert clean_source("وكالة الأنباء الأردنية (بترا)") == "وكالة الأنباء الأردنية (بترا)"
    assert clean_source("(رويترز)") == "رويترز"
    assert clean_source("الجزيرة + وكالات") == "الجزيرة"
    c = clean("خبر عن الطقس اليوم في المدينة\n\nقالت الأرصاد إن الطقس سيكون معتدلا اليوم في أغلب المناطق.\n\n"
              "المصدر: وكالة الأنباء الأردنية (بترا)")
    assert c.found["source"] == "وكالة الأنباء الأردنية (بترا)"


@pytest.mark.parametrize("first,kind", [("عمون", "site_name"), ("هسبريس الرياضية", "site_name"),
                                        ("اقتصاد", "section"), ("عاجل", "section")])
def test_site_name_line_versus_section_label(first, kind):
    text = (f"{first}\n\nالحكومة تقر موازنة العام المقبل بعجز أقل\n\n"
            "أقر مجلس الوزراء في جلسته اليوم مشروع قانون الموازنة العامة للعام المقبل بعجز أقل من العام الحالي.")
    c = clean(text)
    assert c.labels[0][2] == kind
    assert c.found["title"] == "الحكومة تقر موازنة العام المقبل بعجز أقل"


@pytest.mark.parametrize("text,iso", [
    ("29 / آذار / مارس / 2023", "2023-03-29"), ("الخميس 14 نونبر 2024", "2024-11-14"),
    ("March 5, 2024", "2024-03-05"), ("13 / 1 / 2026م", "2026-01-13"),
    ("أخبار محلية12-3-2022 | 18:25", "2022-03-12T18:25"),
])
def test_real_page_date_forms(text, iso):
    assert parse_date(text)[0] == iso


def test_title_is_never_a_clock_or_masthead_line():
    text = ("توقيت المدينة المحلي 07:42:05 آخر تحديث\n\nرئيس التحرير: نادر فؤاد\n\n"
            "الحكومة تخفف القيود على السفر مع بداية الصيف\n\n"
            "قررت الحكومة تخفيف عدد من القيود على السفر اعتبارا من الأسبوع المقبل، وفق بيان رسمي صدر اليوم.")
    assert clean(text).found["title"] == "الحكومة تخفف القيود على السفر مع بداية الصيف"


def test_html_page_metadata_open_graph_and_keywords():
    from tests.test_boilerplate_apply import _run
    page = """<html><head><meta charset="utf-8"><title>تعرفة جديدة للنقل - موقع المدينة</title>
<meta property="og:title" content="تعرفة جديدة للنقل العام تبدأ الشهر المقبل - موقع المدينة">
<meta property="og:site_name" content="موقع المدينة">
<meta property="article:published_time" content="2024-03-05T09:30:00+02:00">
<meta name="keywords" content="النقل العام، التعرفة، البلدية">
</head><body><nav><a href="/">الرئيسية</a> | <a href="/a">محليات</a></nav><article>
<h1>تعرفة جديدة للنقل العام تبدأ الشهر المقبل</h1>
<p>أعلنت البلدية اليوم تعرفة جديدة للنقل العام تبدأ مطلع الشهر المقبل، وتشمل خفضا لأسعار التذاكر الشهرية للطلبة.</p>
<p>وقال رئيس البلدية إن التعرفة الجديدة جاءت بعد دراسة استمرت ستة أشهر شملت آراء الركاب.</p>
</article></body></html>"""
    r = _run({"html": page})
    doc = r["document"]
    assert doc["title"] == "تعرفة جديدة للنقل العام تبدأ الشهر المقبل"
    assert doc["source"] == "موقع المدينة"
    assert doc["published_at"].startswith("2024-03-05")
    assert doc["tags"] == ["النقل العام", "التعرفة", "البلدية"]
    assert "أعلنت البلدية اليوم تعرفة جديدة" in doc["text"]


def test_a_very_long_line_without_punctuation_is_body_not_a_headline_strip():
    """Thousands of words on one line with no sentence punctuation (an unedited
    transcript, a feed that lost its line breaks) are kept, not taken for a ticker."""
    import random
    rng = random.Random(7)
    letters = "ابتثجحخدذرزسشصضطظعغفقكلمنهوية"
    text = " ".join("".join(rng.choice(letters) for _ in range(rng.randint(4, 7))) for _ in range(5000))
    result = clean(text)
    assert result.text == text and "all_boilerplate" not in result.flags
