"""The boilerplate rules: label every non-blank line ``body`` or a boilerplate kind.

Two layers of evidence:

1. ``marker(line)``: what a line says about itself. A phrase at the *start* of the line
   ("اقرأ أيضاً", "المصدر:", "كلمات دلالية:", "جميع الحقوق محفوظة", ...) only counts when
   the rest of the line has the shape that phrase introduces (a short headline, an outlet
   name, a list of tags) — so "وقال المصدر إن ..." or a quote opening with "اقرأ" stays body.
   Shape-only markers need no phrase at all: breadcrumbs (short segments between " / " or
   " » "), hashtag lines, date lines, sign-off initials, domain names.
2. ``classify(lines)``: where a line sits. The page header is everything before the first
   paragraph of running text (title, site name, byline, date). After a line that closes an
   article (source, tags, share bar, copyright, related list) we are in the *tail*: runs of
   headlines there are related lists, and a headline followed by paragraphs is a second,
   appended article. A read-also header with a headline but no text of its own is followed
   either by the same article (the next paragraph continues it: "وأضاف ...") or by the linked
   article pasted in (its lead restates that headline), and we tell the two apart that way.

Anything no rule claims is body: losing a body line is worse than keeping a stray one.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .lines import Line, normalize, strip_bullet, words
from .metadata import parse_date, similar

BODY = "body"

# Kinds after which the article proper is over (what follows is page furniture).
# (Share bars are not among them: some pages put one between paragraphs.)
_END_KINDS = {"source", "tags", "copyright", "signoff", "comments", "related_list", "most_read"}
# Kinds that end a pasted-in appended article (the page's own furniture resumes).
_PAGE_KINDS = {"related_list", "most_read", "copyright", "cookie_notice", "newsletter", "comments",
               "follow_us"}


@dataclass
class Mark:
    kind: str
    payload: str = ""          # what the marker introduces, as written (headline, outlet, tags, name)
    header: bool = False       # a list header ("مقالات مشابهة", "اقرأ أيضاً:" with nothing after it)
    date: str = ""             # a date found on the same line (byline + date)


# --- phrase markers (patterns run on the normalised line, bullets removed) ----------------
_SEP = r"\s*[:：\-–—|]*\s*"
_READ_ALSO_RE = re.compile(
    r"^(?:(?:ا?قرا|طالع|شاهد|اطلع|تابع|اقرئي)\s+(?:ايضا|كذلك|المزيد|اكثر)(?:\s+(?:عن|من|حول))?"
    r"|(?:اقرا|طالع|شاهد)(?=\s*[:：])"
    r"|للمزيد(?:\s+(?:من الاخبار|اقرا|اضغط هنا))?(?=\s*[:：]|$)"
    r"|(?:مواضيع|موضوعات|اخبار|مقالات|روابط) ذات صله(?=\s*[:：]\s*\S))")
_SOURCE_RE = re.compile(r"^(?:المصدر|مصدر الخبر|المصادر|source)\s*[:：\-–]")
_TAGS_RE = re.compile(
    r"^(?:(?:ال)?كلمات (?:ال)?(?:دلاليه|مفتاحيه|مفاتيح|داله)|(?:ال)?وسوم|(?:ال)?اوسمه|هاشتاغ|هاشتاج"
    r"|tags|keywords)(?:\s*[:：\-–]|$)|^(?:مواضيع|موضوعات|تصنيفات|المزيد عن|المزيد حول)\s*[:：]")
_SHARE_RE = re.compile(r"^(?:طباعه|شارك|مشاركه|شاركوا|انشر|share|print)\b")
_SOCIAL_RE = re.compile(r"فيسبوك|فيس بوك|تويتر|واتساب|واتس اب|تلغرام|تيليجرام|تليجرام|انستغرام|انستجرام"
                        r"|لينكد ?ان|يوتيوب|تيك توك|facebook|twitter|whatsapp|telegram|instagram"
                        r"|linkedin|youtube|tiktok|نسخ الرابط|البريد الالكتروني")
_FOLLOW_RE = re.compile(r"^(?:تابعونا|تابعنا|تابعوا|follow us|(?:حمل|حملوا|نزل|نزلوا) تطبيق)"
                        r"|^تابع\s+(?:\S+\s+){1,3}(?:علي|عبر)\s")
_COPYRIGHT_RE = re.compile(r"(?:جميع|كل) الحقوق محفوظه|حقوق (?:النشر|الطبع)|all rights reserved|©|copyright")
_NEWSLETTER_RE = re.compile(r"^(?:اشترك|اشتركوا|اشتركي|سجل|للاشتراك|subscribe).*(?:نشر|بريد|newsletter)"
                            r"|النشره البريديه|newsletter")
_COOKIE_RE = re.compile(r"ملفات تعريف الارتباط|الكوكيز|كوكيز|\bcookies?\b")
_MOST_READ_RE = re.compile(r"^(?:ال)?اكثر (?:قراءه|مشاهده|تداولا|شعبيه|تعليقا|زياره|قراءات)\s*[:：]?$")
_RELATED_HEAD_RE = re.compile(
    r"^(?:(?:ال)?(?:مقالات|مواضيع|موضوعات|اخبار|روابط|قصص|تقارير)\s+(?:مشابهه|متعلقه|ذات صله|مرتبطه"
    r"|اخري|مقترحه|قد تهمك|ذات علاقه)|قد يعجبك(?: ايضا)?|قد يهمك(?: ايضا)?|ننصحك بقراءه|المزيد من الاخبار"
    r"|(?:اقرا|طالع|شاهد) ايضا|ذات صله|اخترنا لك|اخبار اخري|related(?: articles| news)?)\s*[:：]?$")
_COMMENTS_RE = re.compile(r"^(?:ال)?تعليقات\b|^(?:اضف|اترك|اكتب)\s+(?:تعليق|تعليقا|تعليقك)")
_BYLINE_RE = re.compile(
    r"^(?:(?:كتب|كتبت|بقلم|الكاتب|الكاتبه|بواسطه|by)(?:\s*[-–:：]+\s*|\s+)"
    r"|(?:اعداد|تقرير|تحرير|متابعه|مراسل|مراسله|تصوير|ترجمه)\s*[-–:：]+\s*)")
_CREDIT_RE = re.compile(r"^\(\s*(?:اعداد|تحرير|تغطيه|شارك في التغطيه|ترجمه)\b")
_DOMAIN_RE = re.compile(r"^(?:https?://)?(?:www\.)?[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.(?:com|net|org|info|news|tv"
                        r"|[a-z]{2})(?:/\S*)?$|^[\u0600-\u06ff ]+\.(?:نت|كوم)$")
_OUTLET_RE = re.compile(r"\b(?:جريده|صحيفه|مجله|موقع|وكاله|قناه|شبكه|بوابه|اذاعه|راديو|تلفزيون|نيوز|news"
                        r"|fm|tv|press|magazine|online)\b")
_AD_RE = re.compile(r"^[-–—\s]*(?:اعلان|مساحه اعلانيه|محتوي مدفوع|محتوي ممول|advertisement|sponsored|ads?)[-–—\s]*$")
_PROMO_RE = re.compile(r"^(?:اضغط|انقر|اضغطوا|اضغطي)\s+هنا\b|^(?:لمتابعه|للاشتراك في)\s.*(?:قناتنا|صفحتنا|تطبيق|واتساب|تلغرام|يوتيوب)")
_PAREN_CREDIT_RE = re.compile(r"^[(\[]\s*([^()\[\]]{2,30}?)\s*[)\]]\s*$")
_RELATIVE_TIME_RE = re.compile(r"^(?:قبل|منذ)\s+(?:\d+\s+)?(?:ساعه|ساعتين|ساعات|دقيقه|دقيقتين|دقائق|يوم|يومين"
                               r"|ايام|اسبوع|اسبوعين|اسابيع|شهر|شهرين|اشهر)$")
_SIGNOFF_RE = re.compile(r"^[/(\[]*\s*(?:انتهي|end)\s*[/)\]]*$")


def _payload(text: str, marker_words: int) -> str:
    """The original text after the first ``marker_words`` words, separators stripped."""
    body = strip_bullet(text)
    ws = list(re.finditer(r"[\w\u0600-\u06ff]+", body))
    if marker_words <= 0:
        return body
    if marker_words > len(ws):
        return ""
    return body[ws[marker_words - 1].end():].strip(" \t:：-–—|.…")


def _headline_payload(p: str) -> bool:
    """A read-also payload must look like a headline, not the rest of a sentence."""
    n = len(words(normalize(p)))
    return 0 < n <= 30 and not re.search(r"(?<!\.)\.\s*$", p)


_LEAD_JUNK_RE = re.compile(r"^[^\w#(\u0600-\u06ff]+")
_CAPTION_RE = re.compile(r"^(?:مصدر الصوره|التعليق علي الصوره|\(?(?:ال)?صوره\b|صوره ارشيفيه|ارشيفيه\b|\(?ارشيف\b|تصوير\b|photo\b|\(?getty)")


def marker(line: Line) -> Mark | None:
    """What the line says about itself, or None. Pure function of the line."""
    # leading emoji, pipes and arrows do not hide a marker ("📲 تابعونا على ...")
    norm = _LEAD_JUNK_RE.sub("", strip_bullet(line.norm))
    n = line.n_words
    if not norm:
        return None

    m = _READ_ALSO_RE.match(norm)
    if m and not _RELATED_HEAD_RE.match(norm):
        k = len(words(m.group(0)))
        p = _payload(line.text, k)
        if not p:
            return Mark("read_also", header=True)
        if _headline_payload(p):
            return Mark("read_also", p)
    if _RELATED_HEAD_RE.match(norm) and n <= 6:
        header_kind = "read_also" if norm.startswith(("اقرا", "طالع", "شاهد")) else "related_list"
        return Mark(header_kind, header=True)
    if _MOST_READ_RE.match(norm) and n <= 5:
        return Mark("most_read", header=True)
    if _AD_RE.match(norm):
        return Mark("advertisement")
    if _PROMO_RE.match(norm) and n <= 25 and not line.ends_sentence:
        return Mark("promo")
    pc = _PAREN_CREDIT_RE.match(line.text)
    if pc and re.match(r"(?:صور|فيديو|بالصور|بالفيديو|انفوجراف|شاهد|يتبع|مباشر)\b", normalize(pc.group(1))):
        return Mark("caption")
    if pc and len(words(normalize(pc.group(1)))) <= 4 and not re.search(r"\d", pc.group(1)):
        # "(رويترز)", "(د ب أ)" alone on a line: the wire credit
        return Mark("source", pc.group(1).strip())
    if _SOURCE_RE.match(norm):
        p = _payload(line.text, 1 if not norm.startswith("مصدر الخبر") else 2)
        if p and len(words(normalize(p))) <= 8 and not line.ends_sentence:
            return Mark("source", p)
    if _TAGS_RE.match(norm) and n <= 60 and not line.ends_sentence:
        k = len(words(_TAGS_RE.match(norm).group(0)))
        return Mark("tags", _payload(line.text, k))
    tokens = line.text.split()
    hashtags = [t for t in tokens if t.startswith("#") and len(t) > 1]
    if len(hashtags) >= 2 and len(hashtags) >= 0.6 * len(tokens):
        return Mark("tags", " ".join(hashtags))
    if _COOKIE_RE.search(norm) and n <= 60:
        return Mark("cookie_notice")
    if _COPYRIGHT_RE.search(line.norm) and n <= 25:
        return Mark("copyright", line.text)
    if _NEWSLETTER_RE.search(norm) and n <= 30 and not line.prose:
        return Mark("newsletter")
    if _NEWSLETTER_RE.search(norm) and n <= 20:
        return Mark("newsletter")
    if _FOLLOW_RE.match(norm) and n <= 25 and not (norm.startswith("تابع ") and (n > 10 or line.ends_sentence)):
        return Mark("follow_us")
    if _SHARE_RE.match(norm) and n <= 40 and not line.ends_sentence:
        return Mark("share_bar", _payload(line.text, 0))
    if len(_SOCIAL_RE.findall(norm)) >= 2 and n <= 14 and not line.ends_sentence:
        return Mark("share_bar")
    explicit = norm.startswith(("مصدر الصوره", "التعليق علي الصوره"))
    if _CAPTION_RE.match(norm) and (n <= 8 or (explicit and n <= 30)) and not line.ends_sentence:
        return Mark("caption")
    if _COMMENTS_RE.match(norm) and n <= 6:
        return Mark("comments")
    if _CREDIT_RE.match(norm) and n <= 25:
        return Mark("byline")
    bm = _BYLINE_RE.match(norm)
    if bm and n <= 8 and not line.ends_sentence and not re.search(r"\d", norm):
        p = _payload(line.text, len(words(bm.group(0))))
        if 1 <= len(words(normalize(p))) <= 5:
            return Mark("byline", p)
    crumbs = breadcrumb_segments(line.text)
    if crumbs:
        return Mark("breadcrumb", " / ".join(crumbs))
    if _SIGNOFF_RE.match(norm) or _initials(norm):
        return Mark("signoff")
    if n <= 14:
        iso, rest = parse_date(line.text)
        if iso and rest <= 1:
            return Mark("dateline", iso)
    if _RELATIVE_TIME_RE.match(norm):
        return Mark("dateline")
    if " | " in line.text and n <= 16:
        # "كتب: فلان | الخميس 20-06-2024 18:05": a byline and a date sharing a line
        parts = [Line(0, line.number, 0, 0, p.strip(), normalize(p), words(normalize(p)))
                 for p in line.text.split(" | ") if p.strip()]
        sub = [marker(p) for p in parts]
        if len(parts) >= 2 and all(sub):
            by = next((m for m in sub if m.kind == "byline"), None)
            date = next((m for m in sub if m.kind == "dateline"), None)
            if by is not None:
                return Mark("byline", by.payload, date=date.payload if date else "")
            if date is not None:
                return Mark("dateline", date.payload)
    if _DOMAIN_RE.match(norm):
        return Mark("site_name", line.text)
    return None


def _initials(norm: str) -> bool:
    """Agency sign-off initials: "ع.ف", "ب ح/ع ش", "ي.ع/م.ب"."""
    norm = re.sub(r"^(?:/?[\u0621-\u064a ]{2,20}/|[-–—]*\s*\([\u0621-\u064a ]{2,20}\))\s*", "", norm) or "x"
    if len(norm) > 20 or not re.search(r"[/.]|^\S\S? \S\S?$", norm):
        return False
    parts = [p for p in re.split(r"[\s/.\-]+", norm) if p]
    return 1 <= len(parts) <= 6 and all(len(p) <= 2 and re.fullmatch(r"[\u0621-\u064a]+", p) for p in parts)


_CRUMB_SPLIT_RE = re.compile(r"\s+(?:/|»|>|›|\\|\||<|«)\s+|\s*[»›]\s*")
_HOME_RE = re.compile(r"^(?:الرئيسيه|الرئيسه|الصفحه الرئيسيه|home|accueil)$")


def breadcrumb_segments(text: str) -> list[str] | None:
    """Segments of a breadcrumb line ("الرئيسية / آخر الأخبار / ..."), or None."""
    segs = [s.strip() for s in _CRUMB_SPLIT_RE.split(text) if s.strip()]
    if len(segs) < 2:
        return None
    head_ok = bool(_HOME_RE.match(normalize(segs[0])))
    short = all(len(words(normalize(s))) <= 4 for s in segs[:-1])
    if not short or any(re.search(r"[.!؟?]\s*$", s) for s in segs[:-1]):
        return None
    if head_ok or (len(segs) >= 3 and all(len(words(normalize(s))) <= 3 for s in segs[:-1])):
        return segs
    return None


def site_like(line: Line) -> bool:
    """A short name-like line: Latin brand, domain, or an outlet word ("جريدة", "News")."""
    if line.n_words > 7 or line.ends_sentence or line.prose:
        return False
    norm = line.norm
    if _DOMAIN_RE.match(norm):
        return True
    if line.latin >= 3 and line.n_words <= 6:
        return True
    return bool(_OUTLET_RE.search(norm)) and line.n_words <= 5


_CONTINUATION_RE = re.compile(r"^(?:و|ف|كما\b|من جهته|من جهتها|من جانبه|من جانبها|بدوره|بدورها|في المقابل"
                              r"|في غضون|في سياق|وفي|الي ذلك|يذكر|يشار|لكن|غير ان|اما)")
_STOP = set("في من علي الي عن مع ان او ما لا هذا هذه ذلك التي الذي قد كان بين بعد قبل حتي".split())


def _stem(w: str) -> str:
    for p in ("وال", "بال", "كال", "فال", "لل", "ال", "و", "ف", "ب", "ل"):
        if w.startswith(p) and len(w) - len(p) >= 3:
            w = w[len(p):]
            break
    for s in ("ات", "ون", "ين", "ه", "ها"):
        if w.endswith(s) and len(w) - len(s) >= 3:
            return w[: -len(s)]
    return w


def _content(ws: list[str]) -> set[str]:
    return {_stem(w) for w in ws if len(w) >= 3 and w not in _STOP and not w.isdigit()}


def echoes(headline: Line, lead: Line) -> bool:
    """The paragraph restates the headline: a linked article's own lead, pasted in."""
    h = _content(headline.words)
    if len(h) < 2:
        return False
    return len(h & _content(lead.words)) / len(h) >= 0.5


def _item_like(ln: Line) -> bool:
    """A list item: a headline, or a bulleted line that is not a finished sentence
    (bulleted headlines can be long)."""
    if ln.bullet:
        return not ln.ends_sentence and ln.n_words <= 40
    return ln.headline_like and not ln.prose


def _item_run(lines: list[Line], marks: list[Mark | None], i: int) -> int:
    """Index after the run of list items (headline-shaped, no marker) starting at ``i``."""
    j = i
    while j < len(lines) and marks[j] is None and _item_like(lines[j]):
        j += 1
    return j


def classify(lines: list[Line], known_titles: list[str] | None = None) -> tuple[list[str], list[Mark | None], int | None]:
    """Label each line; returns (labels, marks, index of the title line or None)."""
    n = len(lines)
    marks = [marker(ln) for ln in lines]
    labels: list[str | None] = [None] * n
    known = [normalize(t) for t in (known_titles or []) if t and t.strip()]

    def is_known_title(ln: Line) -> bool:
        return any(similar(ln.norm, k) for k in known)

    first_prose = next((i for i, ln in enumerate(lines) if ln.prose and marks[i] is None
                        and not is_known_title(ln)), n)

    # --- page header: everything before the first paragraph -------------------------
    title_idx: int | None = None
    site_names: list[str] = []
    # What the page's marked lines say, once (looked up for short header lines).
    marked_text = "\n".join(f" {o.norm} " for o, mk in zip(lines, marks) if mk is not None)
    for i in range(first_prose):
        ln, mk = lines[i], marks[i]
        if mk is not None:
            labels[i] = mk.kind
            if mk.kind == "site_name":
                site_names.append(normalize(_arabic_part(ln.text) or ln.text))
            continue
        if is_known_title(ln) or (title_idx is None and ln.headline_like
                                  and ln.n_words >= 3 and not site_like(ln)):
            if title_idx is None:
                title_idx = i
                labels[i] = "title"
            else:
                labels[i] = "duplicate_title"
            continue
        if site_like(ln) or (title_idx is None and ln.n_words <= 3 and not ln.ends_colon
                             and f" {ln.norm} " in marked_text):
            # a name line above the headline that the page repeats (copyright, source): masthead
            labels[i] = "site_name"
            site_names.append(normalize(_arabic_part(ln.text) or ln.text))
            continue
        if title_idx is None and ln.n_words <= 3 and not ln.ends_colon:
            # a short label above the headline ("عاجل", "سياسة"): the section or a kicker
            labels[i] = "section"
            continue
        if (title_idx is not None and ln.headline_like and ln.n_words <= 8 and first_prose < n
                and _site_byline(ln, site_names) is None):
            # a short line between the headline and the lead: a caption or a one-line deck
            labels[i] = "caption"
            continue
        by = _site_byline(ln, site_names)
        if by is not None:
            labels[i] = "byline"
            marks[i] = Mark("byline", by)
            continue
        labels[i] = BODY

    title_norm = lines[title_idx].norm if title_idx is not None else None

    # --- article and tail ------------------------------------------------------------
    state = "body"          # body | tail | appended
    i = first_prose
    while i < n:
        ln, mk = lines[i], marks[i]
        if state == "appended":
            if mk is not None and mk.kind in _PAGE_KINDS:
                state = "tail"
            else:
                labels[i] = "appended_article"
                i += 1
                continue
        if mk is None and ((title_norm and similar(ln.norm, title_norm)) or is_known_title(ln)):
            labels[i] = "duplicate_title" if title_idx is not None or i > first_prose else "title"
            i += 1
            continue
        if mk is not None and mk.header:
            labels[i] = mk.kind
            j = _item_run(lines, marks, i + 1)
            if (mk.kind == "read_also" and j == i + 2 and j < n and marks[j] is None and lines[j].prose
                    and _appended_starts(state, lines[i + 1], lines[j])):
                # "إقرأ أيضاً:" + headline + a paragraph that is that headline's own lead
                for k in range(i, j):
                    labels[k] = "appended_article"
                state = "appended"
                i = j
                continue
            for k in range(i + 1, j):
                labels[k] = mk.kind
            if mk.kind != "read_also" or state == "tail":
                state = "tail"
            i = max(j, i + 1)
            continue
        if mk is not None:
            labels[i] = mk.kind
            if mk.kind in _END_KINDS:
                state = "tail"
            i += 1
            continue
        if state == "tail":
            if ln.prose and not (ln.bullet and _item_like(ln)):
                labels[i] = BODY
            elif ln.n_words <= 3 and not ln.bullet and not ln.ends_colon:
                labels[i] = "site_name"      # a bare name at the foot of the page
            elif ln.headline_like or ln.bullet:
                j = _item_run(lines, marks, i)
                if (j == i + 1 and j < n and marks[j] is None and lines[j].prose
                        and _appended_starts(state, ln, lines[j])):
                    # a headline then paragraphs, after the article ended: another article
                    labels[i] = "appended_article"
                    state = "appended"
                else:
                    for k in range(i, j):
                        labels[k] = "related_list"
                    i = j
                    continue
            else:
                labels[i] = BODY
            i += 1
            continue
        # body state
        if ln.bullet and _item_like(ln):
            j = _item_run(lines, marks, i)
            prev = lines[i - 1] if i > 0 else None
            bullets = sum(lines[k].bullet for k in range(i, j))
            more_text = any(marks[k] is None and lines[k].prose for k in range(j, n))
            if bullets >= 2 and not (prev is not None and prev.ends_colon) and not more_text:
                # a bare list of headlines closing the text: links, not content (a list with
                # paragraphs after it is the article's own list of points)
                for k in range(i, j):
                    labels[k] = "related_list"
                i = j
                continue
            # The article's own list: every item is body (judged once for the whole run,
            # not item by item, where each later item would see a bullet, not the colon).
            for k in range(i, j):
                labels[k] = BODY
            i = max(j, i + 1)
            continue
        labels[i] = BODY
        i += 1
    return [lab or BODY for lab in labels], marks, title_idx


def _appended_starts(state: str, headline: Line, lead: Line) -> bool:
    if _CONTINUATION_RE.match(lead.norm):
        return False        # "وأضاف ...": the same article goes on after a subheading or link
    if state == "tail":
        return True
    return echoes(headline, lead)


def _arabic_part(text: str) -> str:
    """The Arabic words of a mixed Arabic/Latin name ("مجلة وفاء wafaamagazine")."""
    toks = [t for t in re.split(r"\s+", text) if re.search("[\u0600-\u06ff]", t)]
    return " ".join(toks).strip(" -–—|:")


def _site_byline(line: Line, site_names: list[str]) -> str | None:
    """'هسبريس - عبد الرحيم العسري': the site's name, a dash, the writer's name."""
    if line.n_words > 8 or line.ends_sentence:
        return None
    parts = re.split(r"\s+[-–—|]\s+", line.text)
    if len(parts) != 2:
        return None
    left, right = (normalize(p) for p in parts)
    for site in site_names:
        if left == site and 1 <= len(words(right)) <= 5:
            return parts[1].strip()
        if right == site and 1 <= len(words(left)) <= 5:
            return parts[0].strip()
    return None
