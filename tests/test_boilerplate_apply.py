"""The boilerplate step inside the pipeline: HTML input, client fields, bad input, the CLI."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from nlp import PipelineError, enrich, new_document, run_step
from nlp.boilerplate import clean, html_to_text

ROOT = Path(__file__).resolve().parent.parent
SEED0 = ROOT / "seeds" / "000_057c1d3d53202a94.txt"
SEED0_HTML = ROOT / "seeds" / "html" / "000_057c1d3d53202a94.html"


def _run(article: dict) -> dict:
    return enrich(article, ["boilerplate"])


# --- HTML ---------------------------------------------------------------------------------
def test_html_page_around_seed_000_gives_the_plain_text_body():
    from_html = _run({"html": SEED0_HTML.read_text(encoding="utf-8")})
    from_text = _run({"text": SEED0.read_text(encoding="utf-8")})
    assert from_html["document"]["text"] == from_text["document"]["text"]
    assert from_html["document"]["text"].count("\n") == 13          # the 14 gold body lines
    doc = from_html["document"]
    assert doc["title"] == from_text["document"]["title"]
    assert doc["source"] == "رؤيا الأخباري"
    assert doc["published_at"].startswith("2024-06-19")
    # breadcrumb, related links and tags come from the page markup (nav, aside, rel="tag")
    gold = json.loads((ROOT / "seeds" / "000_057c1d3d53202a94.gold.json").read_text(encoding="utf-8"))
    assert doc["breadcrumb"] == ["الرئيسية", "عربي ودولي"]
    assert doc["related"] == gold["related"]
    assert doc["tags"] == gold["tags"]
    assert "_html" not in from_html
    bp = from_html["boilerplate"]
    # offsets of an HTML input refer to the extracted text, which is returned with them
    for b in bp["blocks"]:
        assert bp["input_text"][b["start"]:b["end"]] == b["text"]
    assert from_html["engines"]["boilerplate"]["html"].startswith("trafilatura")
    # nav, aside and footer never reach the body
    assert "مقالات مشابهة" not in doc["text"] and "جميع الحقوق" not in doc["text"]


@pytest.mark.parametrize("html", [
    "<html><body><p>نص عربي قصير بلا إغلاق <div><span>",
    "<<<>>> <p <b>> </i>",
    "<html><body></body></html>",
    "<p>" + "كلمة " * 20000 + "</p>",
    "\x00\x01<html>\udcff</html>",
    "<html><head><title>عنوان</title></head><body><script>var x = '<p>لا</p>';</script></body></html>",
])
def test_malformed_html_never_raises(html):
    result = _run({"html": html})
    assert isinstance(result["document"]["text"], str)
    assert "_html" not in result
    assert "<script" not in result["document"]["text"]


def test_html_to_text_without_the_cleaner():
    # finish() uses it when the boilerplate step is not asked for
    result = enrich({"html": SEED0_HTML.read_text(encoding="utf-8")}, [])
    assert "أكد الزعيم الكوري الشمالي" in result["document"]["text"]
    assert html_to_text("<p>سطر</p>") == "سطر"


# --- client fields ---------------------------------------------------------------------------
def test_client_fields_win_and_what_the_text_said_is_kept():
    article = {"text": SEED0.read_text(encoding="utf-8"), "title": "عنوان من العميل",
               "source": "وكالة العميل", "published_at": "2024-06-20"}
    r = _run(article)
    assert r["document"]["title"] == "عنوان من العميل"
    assert r["document"]["source"] == "وكالة العميل"
    assert r["document"]["published_at"] == "2024-06-20"
    assert r["boilerplate"]["found"]["source"] == "رؤيا الأخباري"
    assert r["boilerplate"]["found"]["title"].startswith("بوتين:")


def test_client_title_marks_its_line_in_the_text():
    text = ("سطر عنوان يرسله العميل كما هو\n"
            "أعلنت الحكومة خطة جديدة لدعم المزارعين تشمل قروضا ميسرة وأسمدة بأسعار مخفضة.\n"
            "سطر عنوان يرسله العميل كما هو\n")
    r = _run({"text": text, "title": "سطر عنوان يرسله العميل كما هو"})
    assert r["document"]["text"].startswith("أعلنت الحكومة") and r["document"]["text"].count("\n") == 0
    assert [b["kind"] for b in r["boilerplate"]["blocks"]] == ["title", "duplicate_title"]


def test_unknown_engine_is_a_pipeline_error():
    doc = new_document({"text": "نص"})
    with pytest.raises(PipelineError):
        run_step("boilerplate", doc, {"boilerplate": "nope"})


# --- bad input ------------------------------------------------------------------------------
def test_all_boilerplate_gives_empty_body_and_a_flag():
    text = ("الرئيسية / أخبار / سياسة\n\nاقرأ أيضاً: الحكومة تعلن موعد صرف الرواتب\n\nالمصدر: وكالات\n\n"
            "كلمات دلالية: الحكومة الرواتب\n\nجميع الحقوق محفوظة © 2024\n")
    r = _run({"text": text})
    assert r["document"]["text"] == ""
    assert "all_boilerplate" in r["document"]["flags"]
    assert r["document"]["counts"]["characters"] == 0
    assert r["document"]["source"] == "وكالات"


@pytest.mark.parametrize("text,lang", [
    ("The central bank raised interest rates on Wednesday, citing persistent inflation.\n"
     "Read more: Markets fall after the decision\nSource: Reuters\n", "en"),
    ("La banque centrale a relevé ses taux mercredi, invoquant une inflation persistante "
     "et une croissance plus forte que prévu.\n", "fr"),
])
def test_other_language_passes_untouched_and_flagged(text, lang):
    r = _run({"text": text})
    assert r["document"]["text"] == text
    assert r["document"]["language"] == lang
    assert "not_arabic" in r["document"]["flags"]
    assert r["boilerplate"]["blocks"] == []


def test_empty_and_whitespace_text():
    for text in ("", "   \n\u00a0\n"):
        r = _run({"text": text})
        assert r["document"]["text"] == "" and "empty" in r["document"]["flags"]


def test_very_long_line():
    line = "وقال الوزير إن الحكومة ماضية في خطتها، " * 20000
    r = _run({"text": "عنوان الخبر الطويل جدا هنا\n" + line + "\nالمصدر: وكالات"})
    assert r["document"]["text"] == line.strip()
    assert r["document"]["source"] == "وكالات"


def test_mixed_rtl_ltr_and_bidi_marks():
    text = ("\u200fوزير الاتصالات يلتقي مسؤولي Google في دبي\n"
            "التقى وزير الاتصالات مسؤولين من شركة Google وMicrosoft في دبي لبحث مشروعات الذكاء الاصطناعي "
            "(AI) والحوسبة السحابية Cloud Computing في المنطقة.\n"
            "\u202bاقرأ أيضاً: \u202aApple\u202c تطلق هاتفا جديدا\u202c\n"
            "وأضاف الوزير أن الاتفاق يشمل تدريب 10,000 مهندس خلال عامين على تقنيات cloud.\n"
            "\u200eالمصدر: Arab News\n")
    r = _run({"text": text})
    body = r["document"]["text"].split("\n")
    assert len(body) == 2 and "Google وMicrosoft" in body[0] and body[1].startswith("وأضاف")
    assert r["document"]["source"] == "Arab News"
    assert r["document"]["title"].endswith("في دبي")
    assert [b["kind"] for b in r["boilerplate"]["blocks"]] == ["title", "read_also", "source"]


def test_crlf_line_endings():
    text = SEED0.read_text(encoding="utf-8")
    assert clean(text.replace("\n", "\r\n")).text == clean(text).text


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(
    st.text(alphabet="ابتثجحخدذرزسشصضطظعغفقكلمنهويةىأإآ ،.:؟!«»\"-/•#0123456789", max_size=120),
    st.sampled_from(["اقرأ أيضاً:", "المصدر: وكالات", "مقالات مشابهة", "  • عنوان خبر", "\u00a0", "",
                     "كلمات دلالية: أ ب ج", "الرئيسية / أخبار", "Hello world", "\u200f\u202e", "©"])),
    max_size=25))
def test_cleaner_never_raises_and_keeps_its_invariants(parts):
    text = "\n".join(parts)
    c = clean(text)
    assert isinstance(c.text, str)
    if c.language == "ar":
        for b in c.blocks:
            assert text[b["start"]:b["end"]] == b["text"]
        kept = [text[k["start"]:k["end"]] for k in c.kept]
        assert "\n".join(kept) == c.text
    else:
        assert c.text == text or (not text.strip() and c.text == "")


def test_cli_prints_the_layer():
    out = subprocess.run([sys.executable, "-m", "workers.cli", "--steps", "boilerplate", str(SEED0)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["document"]["source"] == "رؤيا الأخباري"
    assert result["engines"]["boilerplate"]["name"] == "builtin-rules"
