"""The entity features: what the CRF sees of each token (one place for all of them).

A sentence is a list of (word, segments) pairs, segments being the text layer's
Farasa-scheme clitic segments (``وبموسكو`` -> ``و ب موسكو``). The same function builds
features for training on ANERcorp and for tagging at run time, so the two cannot drift.

Per token: the letter-normalised and letter-loose word, the word without its proclitics
(``base``, so ``وبموسكو`` looks like ``موسكو``) and its stem (``base`` minus ``ال`` and
suffix segments), the proclitic/suffix segments themselves, affixes of the base, word
shape, gazetteer membership (whole names matched over the sentence, in B/I position,
and single-word person cues), trigger words (الرئيس، وزير، وكالة، شركة، مدينة ...),
nisba adjectives of known places (الروسي، الكورية), and the same cues for neighbours.

``baseline_features`` is the plain CRF the benchmark compares against: the word, its
raw affixes and shape, and neighbouring words — nothing Arabic-specific.
"""
from __future__ import annotations

import re

from nlp.arabic import BLOCK, PROCLITIC_SEGMENTS

from .gazetteer import Gazetteer, load as load_gazetteer
from .normalise import loose, norm

FEATURE_SET_VERSION = "ar-ner-features-4"
FEATURE_DESCRIPTION = (
    "per token: letter-normalised and letter-loose word; word without proclitics (base) and "
    "stem from the text layer's Farasa-scheme segments; proclitic and suffix segments; "
    "prefixes/suffixes of the base (2-3 letters); shape and length; gazetteer name match "
    "(B/I/U by type) and person-name cue; trigger word type; nisba adjective of a known "
    "place; first-in-sentence; trigger+name and name+name conjunctions; for neighbours "
    "-2..+2: base, shape, gazetteer, trigger, person cue, nisba (and for +-1 stem, "
    "proclitics, suffix, loose word); base bigrams with each neighbour")

SUFFIX_SEGMENTS = {"ه", "ها", "هم", "هما", "هن", "ك", "كم", "كما", "نا", "ني", "ي",
                   "ة", "ات", "ان", "ين", "ون", "تين", "تان", "وا", "يه", "ية"}

# Trigger words (letter-normalised), by the type of the name they tend to announce.
_TRIGGERS = {
    "PER": """الرئيس رئيس الزعيم زعيم وزير الوزير وزيرة نائب النائب السيد السيده الملك
        الملكه الامير الاميره الشيخ الشيخه المتحدث المتحدثه الناطق الناطقه المستشار
        المستشاره السفير السفيره الجنرال المارشال اللواء العميد العقيد الفريق الدكتور
        الدكتوره الاستاذ المدرب اللاعب الكاتب الشاعر الفنان الفنانه المخرج الممثل الممثله
        المطرب المطربه الصحفي الصحافي المبعوث مبعوث مساعد الامين امين المفوض المدير مدير
        القاضي الرئاسي البابا الحارس المدافع المهاجم لاعب الفنانه النجم النجمه الحكم المطران
        الكاردينال الرئيسان الفريق الحاخام المرشح المرشحه رئيسه رئيسة الرئيسه نظيره نظيرته
        قال قالت واضاف اضاف اكد اكدت صرح اعلن الزعيمان""".split(),
    "LOC": """مدينه المدينه العاصمه عاصمه بلده البلده قريه القريه ولايه الولايه محافظه
        المحافظه اقليم الاقليم منطقه المنطقه جزيره الجزيره جزر نهر النهر بحر البحر جبل جبال
        ساحه شارع حي مخيم ميناء مطار دوله جمهوريه مملكه اماره شمال جنوب شرق غرب وسط
        بلاد قاعده""".split(),
    "ORG": """وكاله الوكاله وكالات شركه الشركه منظمه المنظمه حزب الحزب مجلس المجلس حركه
        الحركه جبهه الجبهه وزاره الوزاره هيئه الهيئه لجنه اللجنه جمعيه الجمعيه اتحاد الاتحاد
        مؤسسه المؤسسه جامعه الجامعه بنك البنك مصرف صحيفه الصحيفه مجله المجله قناه القناه
        اذاعه تلفزيون محطه نادي النادي فريق منتخب المنتخب مركز المركز معهد المعهد صندوق
        الصندوق محكمه المحكمه برلمان البرلمان جماعه الجماعه تنظيم التنظيم تحالف ادارة اداره
        مكتب المكتب مجموعه المجموعه مضيفه ضيفه شركتي نادى""".split(),
}
TRIGGERS: dict[str, str] = {}
for _t, _ws in _TRIGGERS.items():
    for _w in _ws:
        TRIGGERS.setdefault(norm(_w), _t)

_ARABIC = re.compile(f"[{BLOCK}]")
_LATIN = re.compile(r"[A-Za-z]")
_DIGIT = re.compile(r"[0-9\u0660-\u0669]")
_PUNCT_ONLY = re.compile(r"^[^\w]+$")


def shape(word: str) -> str:
    if _PUNCT_ONLY.match(word):
        return "QUOTE" if word in "\"“”«»'‘’" else "PUNCT"
    a, l, d = bool(_ARABIC.search(word)), bool(_LATIN.search(word)), bool(_DIGIT.search(word))
    if d and not a and not l:
        return "NUM"
    if a and not l and not d:
        return "AR"
    if l and not a and not d:
        return "LAT"
    return "MIX"


def split_segments(word: str, segments: list[str]) -> tuple[str, str, str, str]:
    """(proclitics, base, stem, suffixes) of a word from its segments, letter-normalised.

    base = the word without its proclitics (keeps ال and suffixes); stem = base without
    ال and suffix segments. Falls back to the word when the segments do not fit it.
    """
    segs = [norm(s) for s in segments if s]
    if len(segs) <= 1:
        w = norm(word)
        return "", w, w, ""
    i = 0
    while i < len(segs) - 1 and segs[i] in PROCLITIC_SEGMENTS:
        i += 1
    pre = "+".join(segs[:i])
    rest = segs[i:]
    base = "".join(rest)
    j = len(rest)
    while j > 1 and rest[j - 1] in SUFFIX_SEGMENTS:
        j -= 1
    core = rest[:j]
    if core and core[0] == "ال" and len(core) > 1:
        core = core[1:]
    return pre, base, "".join(core), "+".join(rest[j:])


def _nisba(base: str, gaz: Gazetteer) -> bool:
    """Is ``base`` an adjective of a known place (الروسي، الكورية، السوفياتية)?"""
    w = loose(base)
    if w.startswith("ال"):
        w = w[2:]
    for end in ("يه", "يين", "يون", "ي"):
        if w.endswith(end) and len(w) - len(end) >= 3:
            root = w[: -len(end)]
            if (root in gaz.single_loc or root + "ا" in gaz.single_loc or root + "يا" in gaz.single_loc
                    or "ال" + root in gaz.single_loc or root + "ه" in gaz.single_loc):
                return True
    return False


def token_cues(sentence: list[tuple[str, list[str]]], gaz: Gazetteer | None = None,
               matches=None) -> list[dict]:
    """Per-token cues shared by the token's own features and its neighbours'.
    ``matches``: ``gaz.match`` of the sentence's words, when the caller has it already."""
    gaz = gaz or load_gazetteer()
    words = [w for w, _ in sentence]
    gaz_tags = [[] for _ in words]
    for start, end, types in (gaz.match(words) if matches is None else matches):
        for t in sorted(types):
            gaz_tags[start].append(f"{t}-B" if end - start > 1 else f"{t}-U")
            for k in range(start + 1, end):
                gaz_tags[k].append(f"{t}-I")
    cues = []
    for i, (word, segments) in enumerate(sentence):
        pre, base, stem, suf = split_segments(word, segments)
        lb = loose(base)
        bare = lb[2:] if lb.startswith("ال") and len(lb) > 3 else lb
        cues.append({
            "w": norm(word), "lw": loose(word), "pre": pre, "base": base, "stem": stem,
            "suf": suf, "shape": shape(word), "gaz": gaz_tags[i],
            "given": bare in gaz.given or lb in gaz.given,
            "trig": TRIGGERS.get(norm(base)) or TRIGGERS.get(norm(word)),
            "nisba": _nisba(base, gaz),
        })
    return cues


def sentence_features(sentence: list[tuple[str, list[str]]],
                      gaz: Gazetteer | None = None, matches=None) -> list[list[str]]:
    """CRF features of every token of one sentence."""
    cues = token_cues(sentence, gaz, matches)
    n = len(cues)
    out = []
    for i, c in enumerate(cues):
        base = c["base"]
        f = [
            "bias", "w=" + c["w"], "lw=" + c["lw"], "b=" + base, "st=" + c["stem"],
            "pre=" + c["pre"], "suf=" + c["suf"], "sh=" + c["shape"],
            "p2=" + base[:2], "p3=" + base[:3], "s1=" + base[-1:], "s2=" + base[-2:],
            "s3=" + base[-3:], "st3=" + c["stem"][-3:], "len=" + str(min(len(base), 8)),
            "al=" + str(base.startswith("ال")),
        ]
        f += ["g=" + g for g in c["gaz"]]
        if c["given"]:
            f.append("given")
        if c["trig"]:
            f.append("tr=" + c["trig"])
        if c["nisba"]:
            f.append("nisba")
        for off in (-2, -1, 1, 2):
            j = i + off
            if not 0 <= j < n:
                f.append(f"{off}:pad")
                continue
            o = cues[j]
            f += [f"{off}:b=" + o["base"], f"{off}:sh=" + o["shape"]]
            f += [f"{off}:g=" + g for g in o["gaz"]]
            if o["trig"]:
                f.append(f"{off}:tr=" + o["trig"])
            if o["given"]:
                f.append(f"{off}:given")
            if o["nisba"]:
                f.append(f"{off}:nisba")
            if abs(off) == 1:
                f += [f"{off}:st=" + o["stem"], f"{off}:pre=" + o["pre"], f"{off}:s2=" + o["base"][-2:]]
        if i == 0:
            f.append("first")
        prev_trig = cues[i - 1]["trig"] if i > 0 else None
        if prev_trig and c["given"]:
            f.append("tr-1+given")
        if c["given"] and i + 1 < n and cues[i + 1]["given"]:
            f.append("given+given1")
        if i > 0:
            f.append("-1:lw=" + cues[i - 1]["lw"])
            f.append("bg-=" + cues[i - 1]["base"] + "|" + base)
        if i + 1 < n:
            f.append("1:lw=" + cues[i + 1]["lw"])
            f.append("bg+=" + base + "|" + cues[i + 1]["base"])
        out.append(f)
    return out


def baseline_features(words: list[str]) -> list[list[str]]:
    """The plain CRF for comparison: raw word, raw affixes, shape, neighbouring words."""
    out = []
    n = len(words)
    for i, w in enumerate(words):
        f = ["bias", "w=" + w, "p1=" + w[:1], "p2=" + w[:2], "p3=" + w[:3],
             "s1=" + w[-1:], "s2=" + w[-2:], "s3=" + w[-3:], "sh=" + shape(w)]
        for off in (-2, -1, 1, 2):
            j = i + off
            f.append(f"{off}:w=" + (words[j] if 0 <= j < n else "<pad>"))
        out.append(f)
    return out
