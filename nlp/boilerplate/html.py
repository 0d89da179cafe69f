"""HTML to text: trafilatura finds the main text and the page metadata.

The text trafilatura returns (one paragraph per line) then goes through the same plain-text
cleaner, because pages keep "اقرأ أيضاً", source and tag lines inside the article element.
When trafilatura finds nothing (a fragment, a page that is all navigation, broken markup),
we fall back to the visible text of the whole page, block elements on their own lines;
markup the parser cannot take whole (nested deeper than libxml2's limit) is tag-stripped.
"""
from __future__ import annotations

import html as htmllib
import re

from nlp import is_interrupt

_BLOCK_TAGS = r"(?:p|div|br|li|ul|ol|h[1-6]|tr|td|th|section|article|header|footer|nav|aside|blockquote|pre|table|main|figure|figcaption|title)"


def _strip_tags(html: str) -> str:
    text = re.sub(r"(?is)<(script|style)\b.*?</\1\s*>", " ", html)
    text = re.sub(rf"(?i)</?{_BLOCK_TAGS}\b[^>]*>", "\n", text)
    return htmllib.unescape(re.sub(r"<[^>]*>", " ", text))


def _letters(text: str) -> int:
    return len(re.sub(r"\s+", "", text))


def parsed_whole(html: str) -> bool:
    """Whether lxml's tree keeps the page's text. libxml2 stops at 255 levels of nesting
    and drops what is deeper without an error: a tree holding under half the letters of
    the tag-stripped markup was not taken whole."""
    try:
        import lxml.html
        kept = _letters(lxml.html.fromstring(html).text_content())
    except Exception as exc:
        if is_interrupt(exc):
            raise
        return False
    return kept * 2 >= _letters(_strip_tags(html))


def _fallback_text(html: str, whole: bool = True) -> str:
    """Visible text without trafilatura: lxml if it takes the page whole, else a tag strip."""
    text = ""
    if whole:
        try:
            import lxml.html
            root = lxml.html.fromstring(html)
            for bad in root.xpath("//script|//style|//noscript|//template"):
                bad.drop_tree()
            for el in root.iter():
                if isinstance(el.tag, str) and re.fullmatch(_BLOCK_TAGS, el.tag):
                    el.tail = "\n" + (el.tail or "")
                    if el.tag == "br":
                        continue
                    el.text = "\n" + (el.text or "")
            text = root.text_content()
        except Exception as exc:
            if is_interrupt(exc):
                raise
    if not text.strip():
        text = _strip_tags(html)
    lines = [re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in text.split("\n")]
    return "\n".join(ln for ln in lines if ln)


def _lower_contains(attr: str, word: str) -> str:
    return f"contains(translate(@{attr}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), '{word}')"


def _texts(nodes) -> list[str]:
    out = []
    for node in nodes:
        t = re.sub(r"\s+", " ", node.text_content()).strip()
        if t and t not in out:
            out.append(t)
    return out


def markup_fields(html: str) -> dict:
    """Breadcrumb, related links and tags from the page's own markup (class/id/aria-label
    naming them, rel="tag"), which trafilatura leaves out of the main text."""
    out: dict = {}
    try:
        import lxml.html
        root = lxml.html.fromstring(html)
    except Exception as exc:
        if is_interrupt(exc):
            raise
        return out
    try:
        crumbs = root.xpath(f"//*[{_lower_contains('class', 'breadcrumb')} or {_lower_contains('id', 'breadcrumb')}"
                            f" or {_lower_contains('aria-label', 'breadcrumb')}]")
        if crumbs:
            items = crumbs[0].xpath(".//li") or crumbs[0].xpath(".//a")
            out["breadcrumb"] = _texts(items)
        related = root.xpath("//*[self::aside or self::section or self::div or self::ul]"
                             f"[{_lower_contains('class', 'related')} or {_lower_contains('id', 'related')}"
                             f" or {_lower_contains('class', 'similar')}]")
        if related:
            out["related"] = [t for t in _texts(related[0].xpath(".//a")) if len(t.split()) >= 3]
        # the page's own metadata (Open Graph, article:*, keywords) says what it is outright
        def meta(*names: str) -> str | None:
            for name in names:
                for node in root.xpath(f"//meta[@property='{name}' or @name='{name}' or @itemprop='{name}']"):
                    value = (node.get("content") or "").strip()
                    if value:
                        return re.sub(r"\s+", " ", value)
            return None
        for key, names in (("og_title", ("og:title", "twitter:title")),
                           ("og_site_name", ("og:site_name", "application-name")),
                           ("published_time", ("article:published_time", "datePublished", "pubdate",
                                               "publish-date", "date")),
                           ("keywords", ("news_keywords", "keywords", "article:tag"))):
            value = meta(*names)
            if value:
                out[key] = value
        tags = root.xpath("//a[@rel='tag']") or root.xpath(
            f"//*[{_lower_contains('class', 'tags')} or {_lower_contains('class', 'keywords')}]//a")
        if tags:
            out["tags"] = _texts(tags)
    except Exception as exc:      # markup we cannot read gives no fields, never an error
        if is_interrupt(exc):
            raise
        return {k: v for k, v in out.items() if v}
    return {k: v for k, v in out.items() if v}


def extract(html: str) -> tuple[str, dict]:
    """(main text, metadata dict with title/author/date/sitename/tags where found)."""
    if not isinstance(html, str) or not html.strip():
        return "", {}
    meta: dict = {}
    text = ""
    if not parsed_whole(html):
        # Markup the parser cannot take whole (nested too deeply): trafilatura would see
        # the same truncated tree; the page's text comes from a tag strip instead.
        return _fallback_text(html, whole=False), {}
    try:
        import trafilatura
        doc = trafilatura.bare_extraction(html, include_comments=False, include_tables=True,
                                          with_metadata=True, favor_recall=True, deduplicate=False,
                                          # dates from the page's markup only: a guessed date (a
                                          # footer's copyright year) is worse than none
                                          date_extraction_params={"extensive_search": False,
                                                                  "original_date": True})
        if doc is not None:
            d = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
            text = d.get("text") or ""
            for key in ("title", "author", "date", "sitename"):
                if d.get(key):
                    meta[key] = str(d[key]).strip()
            tags = d.get("tags") or d.get("categories")
            if tags:
                # (Arabic pages separate keywords with "،" as often as with ",")
                meta["tags"] = [t.strip() for part in (tags if isinstance(tags, list) else [str(tags)])
                                for t in re.split(r"[,،;؛]", str(part)) if t and t.strip()]
    except Exception as exc:      # trafilatura on hostile markup: fall back rather than fail the job
        if is_interrupt(exc):
            raise
        text = ""
    if not text.strip():
        text = _fallback_text(html)
    marks = markup_fields(html)
    # Open Graph and article:* tags before trafilatura's guesses (it may take <title>, which
    # often carries " - <site>", or a date from elsewhere on the page)
    if marks.get("og_title"):
        meta["title"] = _strip_site(marks["og_title"], marks.get("og_site_name"))
    if marks.get("og_site_name"):
        meta["sitename"] = marks["og_site_name"]
    if marks.get("published_time"):
        from .metadata import parse_date
        iso = parse_date(marks["published_time"])[0]
        if iso:
            meta["date"] = iso
    keywords = [k.strip() for k in re.split(r"[,،;؛]", marks.get("keywords") or "") if k.strip()]
    for key, value in marks.items():
        if key in ("og_title", "og_site_name", "published_time", "keywords"):
            continue
        if key == "tags" and meta.get("tags"):
            continue
        meta[key] = value
    if keywords and not meta.get("tags"):
        meta["tags"] = keywords
    return text, meta


def _strip_site(title: str, site: str | None) -> str:
    """"<headline> - <site>" or "<site> | <headline>" as the headline alone."""
    if site:
        for sep in (" - ", " | ", " – ", " — ", " :: "):
            if title.endswith(sep + site):
                return title[: -len(sep + site)].strip()
            if title.startswith(site + sep):
                return title[len(site + sep):].strip()
    return title


def html_to_text(html: str) -> str:
    """Main text of an HTML page, uncleaned (what the cleaner would start from)."""
    try:
        return extract(html)[0]
    except Exception as exc:
        if is_interrupt(exc):
            raise
        return ""
