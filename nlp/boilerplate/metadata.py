"""Turn the boilerplate lines into document fields: title, source, tags, author, date,
related headlines, breadcrumb.

Everything here reads lines the rules already labelled; nothing decides body or not.
Dates are parsed from Arabic date lines in the Egyptian/Gulf (يونيو), Levantine (حزيران),
Moroccan (شتنبر) and Algerian/Tunisian (جوان) month names, or numeric forms (day first).
"""
from __future__ import annotations

import re

from .lines import Line, display_fold, normalize, strip_bullet, words

_MONTHS = {
    "يناير": 1, "جانفي": 1, "فبراير": 2, "فيفري": 2, "مارس": 3, "ابريل": 4, "افريل": 4, "مايو": 5,
    "ماي": 5, "يونيو": 6, "يونيه": 6, "جوان": 6, "يوليو": 7, "يوليه": 7, "يوليوز": 7, "جويليه": 7,
    "اغسطس": 8, "غشت": 8, "اوت": 8, "سبتمبر": 9, "شتنبر": 9, "اكتوبر": 10, "نوفمبر": 11,
    "نونبر": 11, "ديسمبر": 12, "دجنبر": 12,
    "كانون الثاني": 1, "شباط": 2, "اذار": 3, "نيسان": 4, "ايار": 5, "حزيران": 6, "تموز": 7,
    "اب": 8, "ايلول": 9, "تشرين الاول": 10, "تشرين الثاني": 11, "كانون الاول": 12,
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}
_MONTH_ALT = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
# "19 يونيو 2024", "19 شباط/فبراير 2024", "19 حزيران، 2024"
_D_MONTH_Y = re.compile(rf"\b(\d{{1,2}})(?:\s+|\s*/\s*)({_MONTH_ALT})(?:\s*/\s*(?:{_MONTH_ALT}))?\s*[,،/\-]?\s*(\d{{4}})(?!\d)")
# "March 5, 2024"
_M_D_Y = re.compile(rf"\b({_MONTH_ALT})\s+(\d{{1,2}})\s*[,،]?\s+(\d{{4}})(?!\d)")
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt ](\d{1,2}):(\d{2})(?::\d{2})?)?")
_YMD = re.compile(r"\b(\d{4})/(\d{1,2})/(\d{1,2})\b")
_DMY = re.compile(r"\b(\d{1,2})\s?[/\-.]\s?(\d{1,2})\s?[/\-.]\s?(\d{4})(?!\d)")
_TIME = re.compile(r"\b(\d{1,2}):(\d{2})(?::\d{2})?\s*(ص|م|صباحا|مساء|مساءا|am|pm)?(?=\s|$|[^\w])")
# Which group is the day, month (number m, or name M) and year, per date form.
_DATE_FORMS = ((_ISO, "ymd"), (_D_MONTH_Y, "dMy"), (_M_D_Y, "Mdy"), (_DMY, "dmy"), (_YMD, "ymd"))
_DATE_WORDS = re.compile(
    r"\b(?:السبت|الاحد|الاثنين|الثلاثاء|الاربعاء|الخميس|الجمعه|تاريخ النشر|تاريخ|نشر في|نشر بتاريخ|نشر"
    r"|اخر تحديث|تم التحديث|تم النشر|النشر|محدث|تحديث|بتاريخ|الموافق|في|منذ|بتوقيت|غرينتش|مكه|القاهره|ص|م"
    r"|علي الساعه|الساعه"
    r"|published|updated|on|at|gmt|date)\b")


# "بتوقيت مكة", "+3GMT", "GMT+3": the time zone is part of the date line
_ZONE_RE = re.compile(r"بتوقيت\s+\S+(?:\s+\S+)?|[+-]?\d{0,2}\s*gmt\s*[+-]?\d{0,2}|utc\s*[+-]?\d{0,2}")


def parse_date(text: str) -> tuple[str | None, int]:
    """(ISO date or datetime, number of words left that are not part of the date)."""
    # "أخبار محلية12-3-2022": a label glued to the date
    norm = re.sub(r"(?<=[\u0621-\u064a])(?=\d)|(?<=\d)(?=[\u0621-\u064a]{2})", " ", normalize(text))
    year = month = day = span = m = None
    for pattern, order in _DATE_FORMS:  # the first form that matches, in this order
        m = pattern.search(norm)
        if m:
            parts = dict(zip(order, m.groups()[:3]))
            day, year = int(parts["d"]), int(parts["y"])
            month = _MONTHS[parts["M"]] if "M" in parts else int(parts["m"])
            span = m.span()
            break
    if span is None or not (1 <= month <= 12 and 1 <= day <= 31 and 1900 <= year <= 2100):
        return None, len(words(norm))
    rest = norm[: span[0]] + " " + norm[span[1]:]
    iso = f"{year:04d}-{month:02d}-{day:02d}"
    t = _TIME.search(rest) if not (m.re is _ISO and m.group(4)) else None
    if m.re is _ISO and m.group(4):
        iso += f"T{int(m.group(4)):02d}:{m.group(5)}"
    elif t:
        hour, minute = int(t.group(1)), int(t.group(2))
        ampm = t.group(3)
        if ampm in ("م", "مساء", "مساءا", "pm") and hour < 12:
            hour += 12
        elif ampm in ("ص", "صباحا", "am") and hour == 12:
            hour = 0
        if hour < 24 and minute < 60:
            iso += f"T{hour:02d}:{minute:02d}"
        rest = rest[: t.start()] + " " + rest[t.end():]
    rest = _DATE_WORDS.sub(" ", _ZONE_RE.sub(" ", rest))
    return iso, len(words(rest))


def similar(a_norm: str, b_norm: str) -> bool:
    """Same headline: equal after normalisation, or the same words give or take one."""
    a = [w for w in words(a_norm)]
    b = [w for w in words(b_norm)]
    if not a or not b:
        return False
    if a == b:
        return True
    sa, sb = set(a), set(b)
    jac = len(sa & sb) / len(sa | sb)
    return jac >= 0.9 and abs(len(a) - len(b)) <= 1


# --- field extraction -------------------------------------------------------------------
_OUTLET_PREFIX_RE = re.compile(r"^ل(?=(?:جريد|صحيف|مجل|موقع|وكال|قنا|شبك|بواب|اذاع))")
_WIRE_RE = re.compile(r"^[^\s(]+(?:\s[^\s(]+){0,4}\s*\(([^()]{2,25})\)\s*[-–—:]")
_SLASHED_RE = re.compile(r"^[^/]{2,40}?/([\u0600-\u06ff][\u0600-\u06ff ]{1,25})/")
_CITY_SLASH_RE = re.compile(r"^[\u0600-\u06ff]+\s*/\s*([\u0600-\u06ff][\u0600-\u06ff ]{1,25}?)\s*[-–—]")
_AGENCY_RE = re.compile(r"^[\u0600-\u06ff]+(?:\s[\u0600-\u06ff]+)?\s*[-–—]\s*(واس|وام|قنا|كونا|بنا|سانا|وفا|ومع"
                        r"|واج|الاناضول|رويترز|ا ف ب|فرانس برس|د ب ا|شينخوا)\s*[:\-–—]")


# "المدينة- النهار- أعلن ...": place, credit, then the lead; "الموقع الإخباري- أعلن ...": an outlet
_PLACE_CREDIT_RE = re.compile(r"^[\u0600-\u06ff]+(?:\s[\u0600-\u06ff]+)?\s*[-–—]\s*([\u0600-\u06ff]+(?:\s[\u0600-\u06ff]+){0,2})\s*[-–—:]\s")
_OUTLET_LEAD_RE = re.compile(r"^([\u0600-\u06ff]+(?:\s[\u0600-\u06ff]+){0,2})\s*[-–—/]\s")
_CREDIT_NAME_RE = re.compile(r"(?:^|\s)(?:الاخباري|الاخباريه|نيوز|برس|نت|انفو|وكاله|موقع|بوابه)(?:\s|$)")

_PUBLISHED_RE = re.compile(r"تاريخ النشر|نشر في|نشر بتاريخ|تم النشر|published")

_TITLE_PREFIX_RE = re.compile(r"^[^\w\u0600-\u06ff\"«“(]*(?:(?:عاجل|خاص|حصري|فيديو|بالفيديو|بالصور|breaking)"
                              r"\s*[|:：\-–—]\s*)?")


def clean_title(text: str) -> str:
    """Headline without a leading emoji or a 'عاجل |' / 'فيديو:' label."""
    t = _TITLE_PREFIX_RE.sub("", text.strip(), count=1).strip()
    return t or text.strip()


def clean_source(payload: str) -> str:
    """'الجزيرة + وكالات' -> 'الجزيرة'; trailing punctuation off."""
    first = re.split(r"\s*[+،,|]\s*|\s+-\s+", payload.strip())[0].strip(" .:-–—\"'«»“”")
    # brackets off only when they wrap the whole name, not "وكالة الأنباء الأردنية (بترا)"
    while len(first) > 2 and first[0] in "([" and first[-1] in ")]":
        first = first[1:-1].strip()
    if first.count("(") < first.count(")"):
        first = first.rstrip(")").strip()
    if first.count("(") > first.count(")"):
        first = first.lstrip("(").strip()
    return first


def source_from_copyright(text: str) -> str | None:
    # "© 2024 بي بي سي. بي بي سي ليست مسؤولة عن ...": the name, not the disclaimer after it
    text = re.split(r"(?<!\.)\.\s+", text, maxsplit=1)[0]
    s = re.sub(r"(?:جميع|كل)\s+ال?حقوق\s+محفوظة|حقوق\s+(?:النشر|الطبع)(?:\s+محفوظة)?|all rights reserved"
               r"|copyright|©|\(c\)|\b\d{4}\b", " ", text, flags=re.IGNORECASE)
    s = re.sub(r"[\-–—|.,،:]+", " ", s)
    toks = s.split()
    if toks and _OUTLET_PREFIX_RE.match(toks[0]):
        toks[0] = toks[0][1:]
    name = " ".join(toks).strip()
    return name if 1 <= len(toks) <= 5 else None


def source_from_site_line(text: str) -> str:
    """Arabic name when the line also carries a Latin brand; else the line as written."""
    arabic = [t for t in text.split() if re.search("[\u0600-\u06ff]", t)]
    if arabic and len(arabic) < len(text.split()):
        return " ".join(arabic).strip(" -–—|:")
    return text.strip(" -–—|:")


def _plausible_name(name: str) -> str:
    """An outlet's name as a source: no address, e-mail, bare number or place in brackets."""
    name = re.sub(r"\S*@\S*|\[email[^\]]*\]|https?://\S+|www\.\S+", " ", name)
    m = re.match(r"^(.*?)\s*\(([^()]*)\)\s*$", name)
    if m and len(m.group(1).split()) <= 2:
        name = m.group(1)             # "الصحيفة (المدينة)": the paper, then its city
    name = re.sub(r"^\d+\s+", "", name).strip(" -–—|:ـ،,")
    if not name or len(re.findall(r"[^\W\d_]", name)) < 2:
        return ""
    return name


def wire_source(first_body: str) -> str | None:
    """'لندن (رويترز) - ...' -> 'رويترز'; 'أبها - واس: ...' -> 'واس';
    'مسقط في 19 يونيو /العُمانية/ ...' -> 'العُمانية'; 'بغداد/ شفق نيوز- ...' -> 'شفق نيوز'."""
    m = _WIRE_RE.match(first_body) or _SLASHED_RE.match(first_body) or _CITY_SLASH_RE.match(first_body)
    if m:
        return m.group(1).strip()
    m = _AGENCY_RE.match(normalize(first_body))
    if m:
        return m.group(1)
    m = _PLACE_CREDIT_RE.match(first_body)
    if m:
        return m.group(1).strip()
    m = _OUTLET_LEAD_RE.match(first_body)
    if m and _CREDIT_NAME_RE.search(normalize(m.group(1))):
        return m.group(1).strip()
    return None


def split_tags(payload: str, reference_norm: str) -> list[str]:
    """Tags from a tags line. Delimited lists split on their delimiter; a bare run of words
    ("روسيا فلاديمير بوتين كوريا الشمالية ...") is cut into the longest phrases that also
    occur in the article (names are written the same way in the text)."""
    payload = payload.strip()
    if not payload:
        return []
    if "#" in payload:
        parts = [t.lstrip("#") for t in payload.split() if t.startswith("#")]
    elif re.search(r"[،,|؛;]|\s[-–—/]\s", payload):
        parts = re.split(r"\s*[،,|؛;]\s*|\s+[-–—/]\s+", payload)
    else:
        toks = payload.split()
        ref = f" {reference_norm} "
        parts, i = [], 0
        while i < len(toks):
            take = 1
            for k in range(min(4, len(toks) - i), 1, -1):
                if f" {normalize(' '.join(toks[i:i + k]))} " in ref:
                    take = k
                    break
            parts.append(" ".join(toks[i:i + take]))
            i += take
    out, seen = [], set()
    for p in parts:
        p = display_fold(p.strip(" .:-–—\"'«»“”"))
        key = normalize(p)
        if p and key not in seen:
            seen.add(key)
            out.append(p)
    return out


def author_from_byline(payload: str) -> str | None:
    name = payload.strip(" :：-–—.،,")
    return name or None


def extract(lines: list[Line], labels: list[str], marks: list, title_idx: int | None) -> dict:
    """Document fields found in the labelled lines (None / [] where absent)."""
    found: dict = {"title": None, "source": None, "tags": [], "author": None, "published_at": None,
                   "related": [], "breadcrumb": []}
    if title_idx is not None:
        found["title"] = clean_title(lines[title_idx].text)
    body_norm = " ".join(ln.norm for ln, lab in zip(lines, labels) if lab in ("body", "title"))
    related: list[str] = []
    header_norm = ""
    sources: dict[str, str] = {}
    # Which candidates rest on their position or shape alone (see _outlet_evidence).
    needs_shape = {"source": False, "credit": True, "site": False, "copyright": False, "wire": True}
    where: dict[str, int] = {}
    dates: list[tuple[int, str]] = []
    for i, (ln, lab) in enumerate(zip(lines, labels)):
        mk = marks[i]
        if lab == "appended_article":
            # the pasted-in article's own headline is a related link; nothing else of it is ours
            if mk is None and (_first_in_block(labels, marks, i)
                               or (i > 0 and labels[i - 1] != "appended_article" and ln.headline_like)):
                related.append(strip_bullet(ln.text))
            continue
        if lab == "source" and mk is not None and "source" not in sources:
            sources["source"] = clean_source(mk.payload)
            # a "المصدر:" line says what it is; a bare name or "(name)" needs the name to be one
            needs_shape["source"] = not _SOURCE_LABEL_RE.match(ln.norm)
            where["source"] = i
        elif lab == "site_name" and "site" not in sources and _named_outlet(ln, lines, labels):
            sources["site"] = source_from_site_line(ln.text)
        elif lab == "copyright" and "copyright" not in sources:
            s = source_from_copyright(ln.text)
            if s:
                sources["copyright"] = s
        elif lab == "tags" and mk is not None and not found["tags"]:
            found["tags"] = split_tags(mk.payload, body_norm)
        elif lab == "byline" and mk is not None and mk.payload and not found["author"]:
            found["author"] = author_from_byline(mk.payload)
            if mk.date and not found["published_at"]:
                found["published_at"] = mk.date
        elif lab == "dateline" and mk is not None:
            if mk.payload:
                if _PUBLISHED_RE.search(ln.norm):
                    dates.insert(0, (-1, mk.payload))   # "تاريخ النشر:" says which date it is
                else:
                    dates.append((i, mk.payload))
            if mk.credit and "credit" not in sources:
                sources["credit"] = mk.credit
                where["credit"] = i
                # "وكالات"/"متابعة"/"خاص" beside the name say the line is a credit line
                needs_shape["credit"] = not _CREDIT_KIND_RE.search(ln.norm)
        elif lab == "breadcrumb" and mk is not None and not found["breadcrumb"]:
            segs = [s.strip() for s in mk.payload.split(" / ")]
            if len(segs) > 1 and _is_page_crumb(segs[-1], lines, title_idx):
                segs = segs[:-1]
            found["breadcrumb"] = segs
        elif lab in ("read_also", "related_list", "most_read"):
            if mk is not None and mk.header:
                header_norm = ln.norm.rstrip(" :：")
            if mk is not None and mk.kind == "read_also" and mk.payload:
                related.append(mk.payload.strip())
            elif mk is None and not (header_norm and header_norm in ln.norm):
                related.append(strip_bullet(ln.text))
    if not found["published_at"] and dates:
        # the page's own date above the headline (today's date in the header) loses to the
        # article's date line under it
        after = [d for i, d in dates if i == -1 or (title_idx is not None and i > title_idx)]
        found["published_at"] = (after or [d for _, d in dates])[0]
    if not found["published_at"] and lines and lines[0].stamp:
        found["published_at"] = lines[0].stamp
    if "source" not in sources:
        first_body = next((ln.text for ln, lab in zip(lines, labels) if lab == "body"), "")
        w = wire_source(first_body) if first_body else None
        if w:
            sources["wire"] = w
            # "لندن (رويترز) -": the bracketed wire credit says what it is
            needs_shape["wire"] = not _WIRE_RE.match(first_body)
            where["wire"] = next(i for i, lab in enumerate(labels) if lab == "body")
    for key in ("source", "credit", "site", "copyright", "wire"):
        sources[key] = _plausible_name(sources.get(key) or "")
        if (sources.get(key) and needs_shape[key] and len(words(normalize(sources[key]))) > 1
                and not _outlet_evidence(sources[key], lines, labels, where.get(key))):
            sources[key] = ""
        if sources.get(key):
            found["source"] = sources[key]
            break
    seen = set()
    for r in related:
        key = normalize(r)
        if r and key not in seen:
            seen.add(key)
            found["related"].append(r)
    return found


_CREDIT_KIND_RE = re.compile(r"(?:^|[\s/\-–—])(?:وكالات|متابعه|متابعات|خاص)(?=[\s:/\-–—]|$)")
_SOURCE_LABEL_RE = re.compile(r"^\W*(?:المصدر|مصدر الخبر|المصادر|source)\b")
_OUTLET_SHAPE_RE = re.compile(
    r"(?:^|\s)(?:نيوز|برس|بريس|tv|fm|الاخباري|الاخباريه|انفو|تايمز|بوست|اونلاين|نت|news|press|وكاله|جريده|صحيفه"
    r"|مجله|موقع|بوابه|قناه|اذاعه|شبكه|تلفزيون|راديو|اليوم|\d{1,3})(?=\s|$)|\S{2}(?:نيوز|برس|news)$")


def _outlet_evidence(name: str, lines: list[Line], labels: list[str], at: int | None) -> bool:
    """A name of two or more words (one word is no person's full name) read off a line by
    its position or punctuation alone ("<place> - <name>:", a
    short line closing the text, "<place>/ <name> -" opening the lead) is taken as the source
    only when something more says it is an outlet: an agency's name, an outlet's shape
    ("… نيوز", "جريدة …", "… اليوم", "… 24", a Latin brand), or the page naming it again on
    another line that is not a byline. A reporter's name or a place in the same slot has none
    of these."""
    from .rules import _AGENCY_WORDS
    nm = normalize(name)
    if not nm:
        return False
    if nm in _AGENCY_WORDS or all(w in _AGENCY_WORDS for w in nm.split()) or _OUTLET_SHAPE_RE.search(nm):
        return True
    if re.search(r"[a-z]{2}", nm):
        return True
    return any(nm in o.norm for k, o in enumerate(lines) if k != at and labels[k] != "byline")


def _named_outlet(line: Line, lines: list[Line], labels: list[str]) -> bool:
    """A site-name line is the outlet when it looks like one (a Latin brand, a domain, an
    outlet word) or the page says the name again (in a credit, the lead, the copyright);
    a lone short line is as likely a section or a widget's name."""
    from .rules import site_like
    if site_like(line):
        return True
    name = normalize(source_from_site_line(line.text))
    if not name or line.n_words > 4:
        return False
    lead = re.compile(re.escape(name) + r"\s*[-–—:/]")
    if any(labels[o.index] == "body" and lead.match(o.norm) for o in lines):
        return True           # "<site> - أعلنت ...": a paragraph opens with it as its credit
    return any(name in other.norm for other in lines if labels[other.index] not in _NOT_OUTLET_EVIDENCE)


# Lines that name sections and other stories: a name said again there is a menu entry,
# not the outlet.
_NOT_OUTLET_EVIDENCE = {"body", "site_name", "navigation", "section", "breadcrumb", "related_list", "most_read",
                        "read_also", "tags", "title", "duplicate_title", "caption", "appended_article"}


def _first_in_block(labels: list[str], marks: list, i: int) -> bool:
    """The headline line right after the read-also header that opened an appended block."""
    j = i - 1
    return j >= 0 and labels[j] == "appended_article" and marks[j] is not None and marks[j].header


def _is_page_crumb(seg: str, lines: list[Line], title_idx: int | None) -> bool:
    """The last crumb names the page itself (the headline, maybe cut short)."""
    s = normalize(seg).rstrip(". …")
    if title_idx is not None:
        t = lines[title_idx].norm
        if t.startswith(s) or similar(s, t):
            return True
    return len(words(s)) >= 5
