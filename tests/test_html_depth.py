"""HTML nested deeper than the parser takes whole (libxml2 stops at 255 levels and drops
what is deeper, without an error) still gives its text, never an empty success."""
from __future__ import annotations

import pytest

from nlp import enrich
from nlp.boilerplate.html import extract, parsed_whole

LEAD = "مقدمة الخبر القصيرة"
BODY = ["قال الرئيس إن العلاقات جيدة بين البلدين.", "وأضاف أن الزيارة كانت ناجحة."]


def nested(depth: int, tag: str = "div") -> str:
    inner = "".join(f"<p>{p}</p>" for p in BODY)
    return f"<html><body><p>{LEAD}</p>{f'<{tag}>' * depth}{inner}{f'</{tag}>' * depth}</body></html>"


@pytest.mark.parametrize("depth", [10, 253, 254, 255, 300, 2000])
def test_deep_markup_keeps_its_text(depth):
    text, _meta = extract(nested(depth))
    for sentence in [LEAD, *BODY]:
        assert sentence in text, (depth, text[:200])


def test_the_parser_limit_is_detected():
    assert parsed_whole(nested(10))
    assert not parsed_whole(nested(300))
    assert not parsed_whole(nested(300, "span"))


@pytest.mark.parametrize("depth", [254, 1000])
def test_a_deep_page_is_not_an_empty_result(depth):
    result = enrich({"html": nested(depth)}, steps=["boilerplate"])
    assert result["document"]["counts"]["characters"] > 0
    assert BODY[0] in result["document"]["text"]
