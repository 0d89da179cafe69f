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
    credit: str = ""           # the outlet or agency a credit line names ("القاهرة - أ ش أ")


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
    r"|tags?|keywords)(?:\s*[:：\-–]|$)|^(?:مواضيع|موضوعات|تصنيفات|المزيد عن|المزيد حول)\s*[:：]")
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
    r"|(?:اقرا|طالع|شاهد) ايضا|ذات صله|اخترنا لك|اخبار اخري|related(?: articles| news)?"
    r"|المزيد (?:في|من) \S+(?: \S+)?|اخر الاخبار|احدث الاخبار|اخبار تهمك|اخبار متعلقه|تابع ايضا)\s*[:：]?$")
_COMMENTS_RE = re.compile(r"^(?:ال)?تعليقات\b|^التعليق$|^\d+\s+تعليق(?:ات)?$|^(?:اضف|اترك|اكتب)\s+(?:تعليق|تعليقا|تعليقك)")
_BYLINE_RE = re.compile(
    r"^(?:(?:كتب|كتبت|بقلم|الكاتب|الكاتبه|بواسطه|by|author\s*,|role\s*,)(?:\s*[-–:：]+\s*|\s+)"
    r"|(?:اعداد|تقرير|تحرير|متابعه|مراسل|مراسله|تصوير|ترجمه)\s*[-–:：]+\s*)")
_CREDIT_RE = re.compile(r"^\(\s*(?:اعداد|تحرير|تغطيه|شارك في التغطيه|ترجمه)\b")
_DOMAIN_RE = re.compile(r"^(?:https?://)?(?:www\.)?[a-z0-9\-]+(?:\.[a-z0-9\-]+)*\.(?:com|net|org|info|news|tv"
                        r"|[a-z]{2})(?:/\S*)?$|^[\u0600-\u06ff ]+\.(?:نت|كوم)$")
_OUTLET_RE = re.compile(r"\b(?:جريده|صحيفه|مجله|موقع|وكاله|قناه|شبكه|بوابه|اذاعه|راديو|تلفزيون|نيوز|news"
                        r"|fm|tv|press|magazine|online)\b")
_AD_RE = re.compile(r"^[-–—\s]*(?:اعلان|مساحه اعلانيه|محتوي مدفوع|محتوي ممول|advertisement|sponsored|ads?)[-–—\s]*$")
_PROMO_RE = re.compile(r"^(?:اضغط|انقر|اضغطوا|اضغطي)\s+هنا\b|^(?:لمتابعه|للاشتراك في)\s.*(?:قناتنا|صفحتنا|تطبيق|واتساب|تلغرام|يوتيوب)")
_PAREN_CREDIT_RE = re.compile(r"^[(\[]\s*([^()\[\]]{2,30}?)\s*[)\]]\s*$")
_RELATIVE_TIME_RE = re.compile(r"^(?:قبل|منذ)\s+(?:\d+\s+)?(?:ساعه|ساعتين|ساعات|دقيقه|دقيقتين|دقايق|يوم|يومين"
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
_CAPTION_RE = re.compile(r"^(?:مصدر الصوره|صدر الصوره|التعليق علي الصوره|\(?(?:ال)?صوره\b|صوره ارشيفيه|ارشيفيه\b|\(?ارشيف\b|تصوير\b|photo\b|\(?getty)")


# Interface text: font toggles, counters, reading time, a bare byline label, clocks, players.
_UI_RE = re.compile(
    r"^(?:t\s*t|a\s*a|a\s*[-+]|[-+]\s*a|a\s*-\s*a|\+|-|تكبير الخط|تصغير الخط|حجم الخط|تكبير|تصغير"
    r"|(?:تكبير|تصغير)\s+(?:تكبير|تصغير)|طباعه|print|(?:كتب|كتبت|بقلم|الكاتب|written by|by)\s*[:：]?"
    r"|(?:اخر تحديث|تم التحديث|تحديث|last updated?)\s*[:：]?|(?:تشغيل|ايقاف|استمع|استمع للخبر|استمع الي الخبر"
    r"|مده الفيديو|play|pause|listen|نشر|source link|read more|close menu|menu|exit mobile version|skip to content|search"
    r"|القايمه|بحث|a a a|a a|حاله الطقس|زر الذهاب الي الاعلي|العوده للاعلي|الي الاعلي|\d+\s*°c?)\s*[:：]?|\d{1,2}:\d{2}(?::\d{2})?\s*(?:ص|م|am|pm)?(?:\s*/\s*\d{1,2}:\d{2})?)$"
    r"|^(?:\d+\s+)?(?:حجم الخط|تكبير الخط|تصغير الخط)"
    r"|^(?:اخر تحديث|تم التحديث|اخر تعديل)\s*[:：]?\s*(?:gmt|بتوقيت \S+)?\s*[\d:]+\s*(?:gmt|ص|م)?$"
    r"|^(?:عدد )?(?:المشاهدات|مشاهدات|القراءات|قراءات|المشاهده|قراءه|زيارات|views?)\s*[:：]?\s*[\d,.]+$"
    r"|^[\d,.]+\s*(?:مشاهده|مشاهدات|قراءه|قراءات|زياره|views?)$"
    r"|^(?:وقت القراءه|مده القراءه|زمن القراءه|reading time)\b"
    r"|^(?:\d+|\S+)\s+(?:دقيقه|دقايق|دقيقتان|دقيقتين)\s*(?:للقراءه|قراءه)$|^\d+\s*(?:min|mins|minutes?) read$"
    r"|^توقيت\s+(?:\S+\s+){0,2}\d{1,2}:\d{2}")
# Editorial credits of the publication (the masthead), with or without the name after them.
_MASTHEAD_RE = re.compile(r"^(?:%s)(?=\s|[:：\-–—]|$)" % "|".join(normalize(t) for t in (
    "رئيس مجلس الإدارة", "رئيسة مجلس الإدارة", "رئيس التحرير", "رئيسة التحرير", "نائب رئيس التحرير",
    "مدير التحرير", "مدير عام التحرير", "المدير العام", "المدير التنفيذي", "الإشراف العام", "المشرف العام",
    "سكرتير التحرير", "المدير المسؤول", "مدير النشر", "رقم الترخيص", "رقم الإيداع", "الناشر", "المدير الفني")))
# News agencies and credit words: a short line naming one of them credits the article.
_AGENCY_WORDS = set(normalize(
    "واس وام قنا كونا بنا سانا وفا ومع واج واع سبا بترا الأناضول رويترز شينخوا سبوتنيك تاس إرنا "
    "وكالات العمانية الفرنسية").split()) | {"ا ف ب", "ا ش ا", "د ب ا", "فرانس برس", "وكالات الانباء"}
_GENERIC_CREDITS = {"وكالات", "وكالات الانباء"}
_OWN_CREDITS = {"متابعه", "متابعات", "خاص", "تقرير"}
_CREDIT_WORD_RE = re.compile(r"(?:^|\s)(?:نيوز|برس|tv|fm|الاخباري|الاخباريه|انفو|تايمز|بوست|اونلاين|نت|24|news|press"
                             r"|وكاله|جريده|صحيفه|موقع|بوابه|قناه|اذاعه|شبكه|مونيتور|اليوم السابع)(?=\s|$)")
_CREDIT_SPLIT_RE = re.compile(r"\s*[-–—/|]\s*|\s+\u0640+\s+")


# A final-form letter inside a token: two words (two headlines) that lost the space between them.
_GLUED_RE = re.compile("[\u0629\u0649][\u0621-\u064a]|(?<=[\u0621-\u064a])\u0627\u0627\u0644")


def run_together(line: Line) -> bool:
    """A strip of other headlines or menu items glued into one line: words run together
    ("العاصمةوزارة", "المدينةالمنتخب"), or ".." / "|" separators and no sentence of its own."""
    glued = len(_GLUED_RE.findall(line.text))
    stops = len(re.findall(r"[،,؛]|(?<!\.)\.(?!\.)", line.text))
    if glued >= 3 or (glued >= 2 and stops * 15 < line.n_words):
        return True
    if line.text.count(" | ") >= 3 and not line.ends_sentence:
        return True
    segs = sorted(len(words(normalize(x))) for x in re.split(r"(?<!\.)\.\.(?!\.)", line.text))
    # a ticker's segments are whole headlines; a columnist's ".." pauses cut short phrases
    return len(segs) >= 4 and stops == 0 and segs[len(segs) // 2] >= 5


def credit_of(text: str, site_names: tuple[str, ...] = ()) -> str | None:
    """The outlet or agency a place/credit line names, when the line is only that:
    "المواطن - واس", "القاهرة ـ أ ش أ", "*روسيا اليوم", "الدوحة - الشرق:", "المدينة- (د ب أ)",
    "يمن مونيتور/ صنعاء/ وكالات:", "وكالات". None for anything else (a headline, a sentence)."""
    raw = _LEAD_JUNK_RE.sub("", text.strip())
    starred = text.strip().startswith("*")
    colon = raw.rstrip().endswith((":", "："))
    raw = raw.rstrip(" :：.")
    if not raw or re.search(r"[.!؟?؛]", raw) or (re.search(r"[،,]", raw) and len(raw.split()) > 3):
        return None
    parts = [p.strip(" ()[]") for p in re.split(r"\s*[،,]\s*|" + _CREDIT_SPLIT_RE.pattern, raw) if p and p.strip(" ()[]")]
    if not 1 <= len(parts) <= 3:
        return None
    norms = [normalize(p) for p in parts]
    if any(len(words(nm)) > 3 for nm in norms) or sum(len(words(nm)) for nm in norms) > 6:
        return None
    bracketed = re.search(r"\(([^()]{2,25})\)\s*$", raw)
    for part, nm in reversed(list(zip(parts, norms))):
        if (nm in _AGENCY_WORDS and nm not in _GENERIC_CREDITS) or nm in site_names:
            return part
    if len(parts) == 2 and sum(nm in _OWN_CREDITS for nm in norms) == 1:
        # "صوت المدينة – متابعة": the outlet and the kind of piece
        return next(p for p, nm in zip(parts, norms) if nm not in _OWN_CREDITS)
    for part, nm in reversed(list(zip(parts, norms))):
        if len(parts) == 1 and not (colon or starred):
            break             # "النهار اليوم -" alone: the site's name, not a credit
        if _CREDIT_WORD_RE.search(nm) or re.search(r"\S\s(?:اليوم|\d{1,3})$|\S{2}(?:نيوز|برس|news)$", nm):
            return part       # "الخليج اليوم", "القناة 24": outlet names shaped like that
    if bracketed and len(parts) >= 2:
        return bracketed.group(1).strip()
    if starred and len(parts) == 1:
        return parts[0]
    specific = [p for p, nm in zip(parts, norms) if nm not in _GENERIC_CREDITS]
    if colon and len(parts) >= 2:
        return parts[0] if len(parts) == 3 else parts[-1]
    if any(nm in _GENERIC_CREDITS for nm in norms):
        return specific[0] if len(specific) == 1 and len(parts) == 2 and colon else parts[-1]
    return None


# A photo credit closing a caption line: agencies, photo services, "archive", "social media".
_PHOTO_CREDIT_END_RE = re.compile(
    r"\(\s*(?:غيتي|جيتي|getty(?: images)?|afp|reuters|ap|epa|رويترز|ا ف ب|فرانس برس|الاناضول|ارشيف|ارشيفيه"
    r"|مواقع التواصل|مواقع التواصل الاجتماعي|متداوله|متداول|الانترنت|انترنت|وسائل التواصل|shutterstock"
    r"|صوره ارشيفيه|صوره تعبيريه|تعبيريه|خاص|ارشيف[^()]{0,15})\s*\)\s*$")
# "0|سعاد المرابط": a comment counter glued to the writer's name
_NUMBERED_BYLINE_RE = re.compile(r"^\s*\d+\s*\|\s*([^|\d]{3,40}?)\s*$")


_STRIP_MAX_WORDS = 250


def marker(line: Line) -> Mark | None:
    """What the line says about itself, or None. Pure function of the line."""
    # leading emoji, pipes and arrows do not hide a marker ("📲 تابعونا على ...")
    norm = _LEAD_JUNK_RE.sub("", strip_bullet(line.norm))
    n = line.n_words
    if not norm:
        return None
    if n > 40:
        # a long paragraph: only a glued headline strip, a tag row or a cookie notice is
        # that long (every other marker has a shorter limit); a strip of a few dozen
        # headlines, not thousands of words (a text without punctuation is still a text)
        if n <= _STRIP_MAX_WORDS and not line.ends_sentence and run_together(line):
            return Mark("navigation")
        if _TAGS_RE.match(norm) and n <= 60 and not line.ends_sentence:
            return Mark("tags", _payload(line.text, len(words(_TAGS_RE.match(norm).group(0)))))
        tokens = line.text.split()
        hashtags = [t for t in tokens if t.startswith("#") and len(t) > 1]
        if len(hashtags) >= 2 and len(hashtags) >= 0.6 * len(tokens):
            return Mark("tags", " ".join(hashtags))
        if n <= 60 and _COOKIE_RE.search(norm):
            return Mark("cookie_notice")
        return None

    if n <= 8 and _UI_RE.match(norm) and not line.ends_sentence:
        return Mark("ui")
    if n >= 8 and not line.ends_sentence and run_together(line):
        return Mark("navigation")
    if n >= 6 and not re.search(r"[.،,؛:!؟?\"«»“”]", line.text) and menu_words(line):
        return Mark("navigation")
    mh = _MASTHEAD_RE.match(norm)
    if mh and n <= 9 and not line.ends_sentence:
        return Mark("masthead", _payload(line.text, len(words(mh.group(0)))))
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
    if "#" in line.text:
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
    if n <= 14 and not line.ends_sentence and len(_SOCIAL_RE.findall(norm)) >= 2:
        return Mark("share_bar")
    explicit = norm.startswith(("مصدر الصوره", "صدر الصوره", "التعليق علي الصوره"))
    if _CAPTION_RE.match(norm) and (n <= 8 or (explicit and n <= 30)) and not line.ends_sentence:
        return Mark("caption")
    if line.text.startswith(("<image>", "<img", "![")) or "data:image/" in line.text:
        return Mark("caption")           # an image's markup left in the text, with its alt
    if re.match(r"^\[[a-z_]+(?:\s[^\]]*)?\]$", line.text):
        return Mark("ui")                # a CMS shortcode ("[totalpoll id=...]")
    if n <= 12 and "بواسطه" in norm and not line.ends_sentence and _DIGIT_RE.search(norm):
        # "هيئة التحريربواسطة هيئة التحرير2024-01-02": byline, date and reading time glued
        name = re.split(r"\d", line.text.split("بواسطة", 1)[-1], maxsplit=1)[0].strip(" :-–—|")
        iso = parse_date(line.text)[0] or ""
        if 1 <= len(words(normalize(name))) <= 5:
            return Mark("byline", name, date=iso)
    pc_end = _PHOTO_CREDIT_END_RE.search(line.norm)
    if pc_end and n <= 40 and not re.search(r"(?<!\.)\.\s*$", line.text[: line.text.rfind("(")]):
        # "عمال يزرعون أشجاراً في حديقة المدينة (غيتي)": a photo and its credit
        return Mark("caption")
    by0 = _NUMBERED_BYLINE_RE.match(line.text)
    if by0 and 1 <= len(words(normalize(by0.group(1)))) <= 5:
        return Mark("byline", by0.group(1).strip())
    if _COMMENTS_RE.match(norm) and n <= 6:
        return Mark("comments")
    if _CREDIT_RE.match(norm) and n <= 25:
        return Mark("byline")
    bm = _BYLINE_RE.match(norm)
    if bm and n <= 8 and not line.ends_sentence and not re.search(r"\d", norm):
        p = _payload(line.text, len(words(bm.group(0))))
        if 1 <= len(words(normalize(p))) <= 5:
            return Mark("byline", p)
    # every date form has digits: most lines need no date parsing at all
    iso, rest = parse_date(line.text) if n <= 14 and _DIGIT_RE.search(norm) else (None, 0)
    if bm and n <= 14 and not line.ends_sentence:
        # "كتب: فلان السبت 08-10-2022 15:43": a byline and the date on one line
        if iso:
            name = _DATE_START_RE.split(_payload(line.text, len(words(bm.group(0)))), maxsplit=1)[0]
            name = _WEEKDAY_RE.sub("", name).strip(" -–—|،,")
            if 1 <= len(words(normalize(name))) <= 5:
                return Mark("byline", name, date=iso)
    if iso and rest <= 1:
        return Mark("dateline", iso)
    crumbs = breadcrumb_segments(line.text)
    if crumbs:
        return Mark("breadcrumb", " / ".join(crumbs))
    if _SIGNOFF_RE.match(norm) or _initials(norm):
        return Mark("signoff")
    if iso:
        if rest <= 6:
            # "date 2024-01-02 المدينة- (وكالة)": the date, then the place and the credit
            left = _date_rest(line.text)
            cr = credit_of(left) if left else None
            if cr:
                return Mark("dateline", iso, credit=cr)
    if n <= 6:
        cr = credit_of(line.text)
        if cr:
            return Mark("dateline", credit=cr)
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


_DIGIT_RE = re.compile(r"\d")
_DATE_START_RE = re.compile(r"\s(?=\d)")
_WEEKDAY_RE = re.compile(r"\s*(?:السبت|الأحد|الاحد|الإثنين|الاثنين|الثلاثاء|الأربعاء|الاربعاء|الخميس|الجمعة|الجمعه)\s*$")
_DATE_TEXT_RE = re.compile(r"^\s*(?:date|تاريخ النشر|نشر في|بتاريخ)?\s*[:：]?\s*(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}/\d{4})"
                           r"(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?\s*(?:ص|م|am|pm)?\s*[-–—|]?\s*", re.IGNORECASE)


def _date_rest(text: str) -> str:
    """What follows a leading numeric date on a line, or ""."""
    m = _DATE_TEXT_RE.match(text)
    return text[m.end():].strip() if m and m.end() < len(text) else ""


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
    if not any(c in text for c in "/»>›\\|<«"):
        return None
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


# Section and kicker words of Arabic news sites (written for this layer, not taken from any
# labelled page): a short line made only of these above a headline is its section.
_SECTION_WORDS = set(normalize(
    "عاجل خاص حصري سياسة السياسة سياسي اقتصاد الاقتصاد اقتصادي مال أعمال المال الأعمال رياضة الرياضة "
    "رياضي محليات المحليات محلي محلية أخبار الأخبار خبر عربي عربية العربي دولي دولية الدولي عالمي العالم "
    "منوعات المنوعات ثقافة الثقافة فن الفن فنون ثقافي صحة الصحة تكنولوجيا التكنولوجيا علوم العلوم تقنية "
    "مجتمع المجتمع حوادث الحوادث قضايا تحقيقات تقارير تقرير تحقيق مقالات مقال رأي الرأي آراء كتاب الكتاب "
    "برلمان البرلمان تعليم التعليم سياحة السياحة بيئة البيئة طقس الطقس مرأة المرأة شباب الشباب دين الدين "
    "إسلاميات اسلاميات ثقافية فيديو صور بالصور مصر الخليج المغرب لبنان العراق سوريا فلسطين اليمن السودان "
    "ليبيا تونس الجزائر الأردن السعودية الإمارات قطر الكويت البحرين عمان ملفات ملف حوار حوارات "
    "الرئيسية متابعات عاجلة آخر الأخبار اخر أهم وطني الوطني وطنية جهات جهوية دولية و ال كرة القدم "
    "القدم كرة ميديا أسواق الأسواق بورصة البورصة عقارات سيارات المحلية المحليه العربية الدولية العالمية "
    "الاقتصادية الرياضية السياسية ودولي وعربي"
).split())


def menu_words(line: Line) -> bool:
    """A menu written as one line: most words are section names ("اقتصاديات دوليات رياضة")."""
    hits = sum(w in _SECTION_WORDS or (w.endswith("يات") and len(w) > 5) for w in line.words)
    return hits >= 0.6 * len(line.words)


def section_name(line: Line) -> bool:
    return bool(line.words) and all(w in _SECTION_WORDS for w in line.words)


_MORE_RE = re.compile(r"^(?:read more|اقرا المزيد|المزيد|التفاصيل|اقرا التفاصيل|more)\s*[:：.…]*$")

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
    for i in range(n - 1):
        nxt = lines[i + 1]
        if (marks[i] is not None and marks[i].kind == "masthead" and not marks[i].payload
                and marks[i + 1] is None and 1 <= nxt.n_words <= 4 and not nxt.ends_sentence):
            marks[i + 1] = Mark("masthead", nxt.text)     # "رئيس التحرير" with the name under it
    labels: list[str | None] = [None] * n
    known = [normalize(t) for t in (known_titles or []) if t and t.strip()]

    def is_known_title(ln: Line) -> bool:
        return any(similar(ln.norm, k) for k in known)

    first_prose = _first_prose(lines, marks, is_known_title)
    chosen = _choose_title(lines, marks, first_prose, is_known_title)

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
        if labels[i] is not None:
            continue
        if title_idx is not None and _same_headline(ln.norm, lines[title_idx].norm):
            labels[i] = "duplicate_title"
            continue
        if _tag_shape(ln):
            labels[i] = "tags"
            marks[i] = Mark("tags", ln.text)
            continue
        if not re.search(r"[^\W\d_]", ln.text):
            labels[i] = "ui"                 # a counter above the text: digits, no word
            continue
        run = _menu_run(lines, marks, i) if i != chosen else 0
        if run >= 3:
            # three or more short unmarked lines in a row: a menu
            for k in range(i, i + run):
                if k != chosen and k < first_prose:
                    labels[k] = "navigation"
            continue
        if title_idx is None and chosen is not None and i < chosen and not is_known_title(ln):
            if _same_headline(ln.norm, lines[chosen].norm):
                labels[i] = "duplicate_title"
                continue
            if site_like(ln):
                labels[i] = "site_name"
            elif ln.n_words <= 3 and not ln.ends_colon:
                first = all(labels[k] not in (None, "title", "section", "site_name") for k in range(i))
                labels[i] = ("section" if section_name(ln) else
                             "site_name" if site_like(ln) or first else "section")
            else:
                labels[i] = "navigation"     # other headlines above ours: a ticker or a menu
            if labels[i] == "site_name":
                site_names.append(normalize(_arabic_part(ln.text) or ln.text))
            continue
        if is_known_title(ln) or (title_idx is None and i == chosen):
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
            # a short label above the headline: a section name or a kicker ("عاجل", "سياسة"),
            # else, as the page's first line, the outlet's own name ("عمون")
            first = all(labels[k] not in (None, "title", "section", "site_name") for k in range(i))
            labels[i] = "site_name" if first and not section_name(ln) else "section"
            if labels[i] == "site_name":
                site_names.append(normalize(_arabic_part(ln.text) or ln.text))
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
    tail_from = n
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
        if mk is None and ((title_norm and _same_headline(ln.norm, title_norm)) or is_known_title(ln)):
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
            if (state == "body" and mk.kind == "related_list" and j == i + 2 and j < n and marks[j] is None
                    and lines[j].prose and not _appended_starts(state, lines[i + 1], lines[j])):
                # the widget's links were lost in the scrape: its header stands alone, and
                # what follows is the article's own subheading and text
                i += 1
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
                tail_from = i + 1
            elif state == "tail" and _MORE_RE.match(ln.norm):
                # "Read more" under a headline and a paragraph after our article ended: a teaser
                for k in range(tail_from, i):
                    if labels[k] == BODY:
                        labels[k] = "appended_article"
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
        if _tag_shape(ln) and (i + 1 == n or marks[i + 1] is not None or lines[i + 1].headline_like):
            # "البحرين,الصحة,حملة التطعيم" after the text: the tags, with no label
            labels[i] = "tags"
            marks[i] = Mark("tags", ln.text)
            state = "tail"
            tail_from = i + 1
            i += 1
            continue
        if (i + 1 < n and marks[i + 1] is None and lines[i + 1].norm == ln.norm and ln.n_words <= 30
                and not ln.ends_sentence):
            # the same line twice in a row inside the text: a photo caption and its alt text
            labels[i] = labels[i + 1] = "caption"
            i += 2
            continue
        if (1 <= ln.n_words <= 3 and not ln.bullet and not ln.ends_sentence and not ln.ends_colon
                and not re.search(r"\d", ln.text) and i > first_prose and labels[i - 1] == BODY
                and lines[i - 1].prose and i + 1 < n and marks[i + 1] is not None):
            # a bare name closing the article (no paragraph of ours after it): its credit
            labels[i] = "source"
            marks[i] = Mark("source", ln.text.strip(" -–—*"))
            state = "tail"
            i += 1
            continue
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
    labels = [lab or BODY for lab in labels]
    for i, ln in enumerate(lines):
        if ln.n_words == 0 and marks[i] is None:
            # "-", "*", "|": a separator belongs with what it separates
            prev = labels[i - 1] if i > 0 else None
            nxt = labels[i + 1] if i + 1 < n else None
            near = nxt if (prev in (None, BODY) and nxt not in (None, BODY)) else (prev or nxt or BODY)
            labels[i] = near if near != "title" else "duplicate_title"
        elif (labels[i] == BODY and marks[i] is None and not ln.ends_sentence and not ln.has_arabic
              and ln.latin >= 20):
            labels[i] = "caption"   # an image tool's or a widget's Latin text in an Arabic page
    if BODY not in labels and _rescue(lines, labels, marks):
        title_idx = None
    return labels, marks, title_idx


# Kinds given by position alone (no phrase, no shape of their own).
_POSITIONAL = {"title", "duplicate_title", "section", "caption", "site_name"}


def _rescue(lines: list[Line], labels: list[str], marks: list[Mark | None]) -> bool:
    """No body line at all: the text a client sent is the article itself (one paragraph, a
    text with no headline, a text already cleaned), so the lines we judged by position only
    are its body. Lines that said what they are (source, tags, a date...) stay boilerplate."""
    rescued = False
    for i, ln in enumerate(lines):
        if labels[i] in _POSITIONAL and marks[i] is None and ln.n_words >= 4 and not site_like(ln):
            labels[i] = BODY
            rescued = True
    return rescued


def _tag_shape(ln: Line) -> bool:
    """Three or more short names between commas and nothing else: a tag list with no label."""
    if ln.ends_sentence or ln.n_words > 15 or re.search(r"\d", ln.text):
        return False
    items = [x for x in re.split(r"\s*[,،]\s*", ln.text.strip()) if x.strip()]
    return len(items) >= 3 and all(1 <= len(words(normalize(x))) <= 3 for x in items)


def _first_prose(lines: list[Line], marks: list[Mark | None], is_known_title) -> int:
    """Index of the article's first paragraph: the first unmarked line of running text that
    is neither the headline again nor a long headline standing over its date line."""
    n = len(lines)
    seen: list[str] = []
    headline = False        # a headline-shaped line of 4+ words seen already
    for i, ln in enumerate(lines):
        if marks[i] is not None:
            continue
        if ln.prose and not is_known_title(ln) and not any(similar(ln.norm, s) for s in seen[-_NEAR:]):
            bare = not ln.ends_sentence and ln.n_words <= 40 and not re.search(r"[،,؛]|(?<!\.)\.(?!\.)", ln.text)
            nxt = next((k for k in range(i + 1, n) if marks[k] is None), None)
            if ln.bullet and not ln.ends_sentence and ln.n_words <= 40:
                seen.append(ln.norm)          # a bulleted link above the article: a menu or ticker
                continue
            if bare and not headline and any(marks[k] is not None and marks[k].kind in _UNDER_HEADLINE
                                              for k in range(i + 1, min(n, i + 3))):
                # a long headline with no sentence punctuation, its date or byline under it
                seen.append(ln.norm)
                headline = True
                continue
            if ln.n_words <= 40 and any(_same_headline(ln.norm, lines[k].norm) for k in range(i + 1, min(n, i + 4))):
                seen.append(ln.norm)          # the headline, said again just below
                headline = True
                continue
            if (bare and not headline and nxt is not None and lines[nxt].ends_sentence
                    and lines[nxt].n_words > ln.n_words and lines[nxt].prose):
                # a long headline over a lead that ends its sentences (the headline does not)
                seen.append(ln.norm)
                headline = True
                continue
            return i
        if ln.headline_like and ln.n_words >= 4 and not ln.bullet:
            headline = True
        seen.append(ln.norm)
    return n


# What sits right under a headline (and never under a paragraph's first line).
_UNDER_HEADLINE = {"dateline", "byline", "ui", "section", "share_bar", "breadcrumb", "masthead", "caption"}


# Marks that sit under a headline and above the lead: the headline is above the last of them.
_HEADLINE_FOOT = {"dateline", "byline", "share_bar", "breadcrumb"}


def _choose_title(lines: list[Line], marks: list[Mark | None], first_prose: int, is_known_title) -> int | None:
    """The headline: a line matching the client's or page's title; else the header line the
    page says again; else the headline nearest above the last date/byline/share line under it
    (a menu, a ticker or a site name come first on real pages); else the first headline."""
    end = min(first_prose, len(lines))
    for i in range(end):
        if marks[i] is None and is_known_title(lines[i]):
            return i
    end = min(end, _HEADER_SCAN * 2)
    counts: dict[str, int] = {}
    for i, ln in enumerate(lines):
        if marks[i] is None:
            counts[ln.norm] = counts.get(ln.norm, 0) + 1

    def candidate(i: int) -> bool:
        ln = lines[i]
        return (marks[i] is None and ln.n_words >= 3 and not ln.bullet and not ln.ends_sentence
                and not ln.ends_colon and ln.n_words <= 40 and not site_like(ln) and not section_name(ln)
                and (counts.get(ln.norm, 0) < 3 or ln.n_words > 6) and not _self_repeat(ln.norm)
                and not (_DIGIT_RE.search(ln.norm) and parse_date(ln.text)[0]))

    runs = _short_runs(lines, marks, end)
    cands = [i for i in range(end) if candidate(i) and (lines[i].n_words > 4 or runs[i] < 3)]
    cand_set = set(cands)
    over_foot = [i for i in cands if i + 1 < len(lines) and marks[i + 1] is not None
                 and marks[i + 1].kind in _HEADLINE_FOOT]
    if over_foot:
        i = over_foot[-1]
        while i - 1 in cand_set and lines[i - 1].headline_like:   # a headline, its deck, the date
            i -= 1
        # "<site> - <headline>" chosen: the plain headline above it
        return next((k for k in cands if k < i and similar(strip_affix(lines[i].norm), lines[k].norm)), i)
    rep = _repeated_headline(lines, marks, first_prose)
    if rep is not None and candidate(rep):
        return rep
    if not cands:
        return None
    doubled = [i for i in cands if i + 1 < end and lines[i + 1].norm == lines[i].norm]
    if doubled:
        # lines doubled back to back (a caption and its alt, the headline and its alt): the
        # longest is the headline
        return max(doubled, key=lambda k: lines[k].n_words)
    foot = max((i for i in range(end) if marks[i] is not None and marks[i].kind in _HEADLINE_FOOT), default=None)
    before = [i for i in cands if foot is not None and i < foot]
    if not before:
        return cands[0]
    i = before[-1]
    before_set = set(before)
    while i - 1 in before_set:      # a headline and its deck: the headline is the first
        i -= 1
    return i


def _self_repeat(norm: str) -> bool:
    """"صوت المدينةصوت المدينة": a name glued to itself (a logo's text and its alt)."""
    t = norm.replace(" ", "")
    h = len(t) // 2
    return len(t) >= 6 and len(t) % 2 == 0 and t[:h] == t[h:]


def _short_runs(lines: list[Line], marks: list[Mark | None], end: int) -> list[int]:
    """For each line before ``end``, the length of the run of short lines it belongs to."""
    out = [0] * end
    i = 0
    while i < end:
        k = _menu_run(lines, marks, i)
        if k == 0:
            i += 1
            continue
        for j in range(i, min(end, i + k)):
            out[j] = k
        i += k
    return out


def _run_start(lines: list[Line], marks: list[Mark | None], i: int) -> int:
    while i > 0 and marks[i - 1] is None and 1 <= lines[i - 1].n_words <= 4 and not lines[i - 1].ends_sentence:
        i -= 1
    return i


def _repeated_headline(lines: list[Line], marks: list[Mark | None], first_prose: int) -> int | None:
    """A header line the page says again (as a heading, alt text, "<site> - <headline>");
    the longest such line when there are several (a photo caption is often doubled too)."""
    found = [k for k in _repeated_lines(lines, marks, first_prose)]
    return max(found, key=lambda k: lines[k].n_words) if found else None


# The headline is near the top: header lines further down are not searched (and a page of
# thousands of headline-shaped lines stays linear).
_HEADER_SCAN = 60
_NEAR = 12


def _repeated_lines(lines: list[Line], marks: list[Mark | None], first_prose: int):
    n = len(lines)
    # exact repeats anywhere, by the line and by the line without a "<site> - " affix
    where: dict[str, list[int]] = {}
    for j, o in enumerate(lines):
        if marks[j] is None and o.n_words >= 3:
            for key in {o.norm, strip_affix(o.norm)}:
                where.setdefault(key, []).append(j)
    for i in range(min(first_prose, n, _HEADER_SCAN)):
        ln = lines[i]
        if marks[i] is not None or ln.n_words < 4 or ln.ends_sentence or site_like(ln):
            continue
        far = [j for key in {ln.norm, strip_affix(ln.norm)} for j in where.get(key, ()) if j > i + 1]
        near = [j for j in range(i + 2, min(n, i + _NEAR)) if marks[j] is None]
        # a line doubled back to back (j == i + 1) is a caption and its alt: not counted
        for j in sorted(set(far) | set(near)):
            if marks[j] is None and _same_headline(lines[j].norm, ln.norm):
                if j < first_prose and not similar(lines[j].norm, ln.norm) and similar(strip_affix(ln.norm), lines[j].norm):
                    yield j           # "<headline> - <site>" first, the headline itself under it
                else:
                    yield i
                break


_AFFIX_RE = re.compile(r"^(?:\S+\s+){0,2}\S+\s*[-–—|:]\s+|\s+[-–—|]\s*(?:\S+\s+){0,2}\S+$")


def _same_headline(a: str, b: str) -> bool:
    # an affix is at most four words: lines further apart in length cannot match
    if abs(a.count(" ") - b.count(" ")) > 6:
        return False
    return similar(a, b) or similar(strip_affix(a), b) or similar(a, strip_affix(b))


def strip_affix(norm: str) -> str:
    """A headline without a short "<site> - " prefix or " | <site>" suffix."""
    return _AFFIX_RE.sub("", norm, count=1)


def _menu_run(lines: list[Line], marks: list[Mark | None], i: int) -> int:
    """Length of the run of short unmarked lines (1-4 words, no sentence end) from ``i``."""
    j = i
    while (j < len(lines) and marks[j] is None and 1 <= lines[j].n_words <= 4
           and not lines[j].ends_sentence and not lines[j].ends_colon and not lines[j].norm.isdigit()):
        j += 1
    return j - i


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
