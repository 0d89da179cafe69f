"""Arabic script for the whole pipeline: letters, marks, digits, proclitics, and the folds.

Every layer that needs to know what an Arabic letter is, which marks it may ignore, or
which prefixes are proclitics reads it here. The character classes are regex class
bodies (no brackets), so a layer writes ``re.compile(f"[{WORD_LETTERS}]")``.

Folds: each layer compares words in its own normal form, and the forms differ on purpose.
None of them is ever used for offsets (offsets are always into the surface text).

===========================  =================  =======================================
fold                         layer              what it is for
===========================  =================  =======================================
``fold_for_segmentation``    text               what the Farasa port was trained on: one
                                                character in, zero or one out (so segment
                                                boundaries map back to the surface);
                                                Persian/Urdu letter forms and presentation
                                                forms become Arabic letters; hamza seats,
                                                alef forms, ى and ة are kept (the port's
                                                statistics tell them apart).
``fold_for_matching``        boilerplate        phrase matching on whole lines ("اقرأ
                                                أيضاً" = "اقرا ايضا"): alef forms, ى, ة,
                                                ؤ, ئ folded, digits as ASCII, quotes as
                                                '"', Latin lower-cased, whitespace runs as
                                                one space.
``fold_for_display``         boilerplate        values shown to a client (tags): only
                                                Persian kaf/ya become Arabic letters.
``fold_for_entities``        entities           spelling variation within standard
                                                Arabic (alef forms, ى/ي, ة/ه, Persian
                                                forms, Arabic-Indic digits); hamza seats
                                                kept.
``fold_loose``               entities           on top of ``fold_for_entities``, the
                                                letters transliterations of foreign names
                                                spell differently (g as غ/ج/ق/گ, hamza
                                                seats) collapse: a grouping key and one
                                                CRF feature, too coarse for anything else.
===========================  =================  =======================================
"""
from __future__ import annotations

import functools
import re
import unicodedata

# --- character classes (regex class bodies) ---------------------------------------------

# The Arabic block: letters, marks, digits and Arabic punctuation. "Has Arabic script" tests
# in the entity features and boilerplate rules use it.
BLOCK = "\u0600-\u06FF"
# All Arabic-script blocks (supplement, extended-A, presentation forms): the language guess
# counts these against all letters.
SCRIPT = BLOCK + "\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFC"

# Letters that start and continue an Arabic word token (base block without marks, tatweel
# and digits; supplement; extended-A; presentation forms).
WORD_LETTERS = ("\u0620-\u063F\u0641-\u064A\u066E\u066F\u0671-\u06D3\u06D5\u06EE\u06EF"
                "\u06FA-\u06FC\u06FF\u0750-\u077F\u08A0-\u08C9\uFB50-\uFBB1\uFBD3-\uFD3D"
                "\uFD50-\uFDC7\uFDF0-\uFDFB\uFE70-\uFEFC")
# Marks and tatweel that belong to the letter before them inside a word token.
WORD_MARKS = "\u0610-\u061A\u0640\u064B-\u065F\u0670\u06D6-\u06DC\u06DF-\u06E8\u06EA-\u06ED\u08CA-\u08FF"
# Letters an entity must contain (an entity starts and ends on an Arabic word; the model
# tags Arabic sentences only).
NAME_LETTERS = "\u0621-\u064A\u0671-\u06D3\uFB50-\uFDFF\uFE70-\uFEFC"
# Letters a boilerplate line's shape counts (its share of Arabic against Latin).
LINE_LETTERS = "\u0621-\u064a\u066e-\u06d3\u06fa-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufefc"

# Invisible format characters: zero-width space/joiners, LRM/RLM, ALM, BOM, bidi embeddings
# and isolates. Allowed inside a word token, dropped by every fold.
INVISIBLE = "\u200B-\u200F\u061C\uFEFF\u202A-\u202E\u2066-\u2069"
TATWEEL = "\u0640"
# Tanween, fatha, damma, kasra, shadda, sukun and the other combining marks up to U+065F.
HARAKAT = "\u064B-\u065F"
SUPERSCRIPT_ALEF = "\u0670"
# Honorific and Quranic signs above/below a letter (U+0610..U+061A).
SIGNS_ABOVE = "\u0610-\u061A"
# Quranic annotation marks that combine with a letter ...
QURANIC_MARKS = "\u06D6-\u06DC\u06DF-\u06E4\u06E7\u06E8\u06EA-\u06ED"
# ... and the whole annotation range, with its few spacing signs and small letters.
QURANIC_RANGE = "\u06D6-\u06ED"

ARABIC_INDIC_DIGITS = "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
EXTENDED_DIGITS = "\u06F0\u06F1\u06F2\u06F3\u06F4\u06F5\u06F6\u06F7\u06F8\u06F9"  # Persian/Urdu

# --- proclitics ---------------------------------------------------------------------------

# Letters a proclitic segment is made of: و ف (conjunctions), ب ل ك (prepositions), س (future).
PROCLITIC_LETTERS = frozenset("وفبلكس")
# Segments of the text layer's Farasa scheme that are proclitics (لل is ل+ال written short).
# ال is not one: it belongs to the word (and to a name).
PROCLITIC_SEGMENTS = frozenset({"و", "ف", "ب", "ل", "ك", "س", "لل"})
# Proclitic letters a name's first word may carry in running text, longest first (the
# gazetteer tries each reading).
NAME_PROCLITICS = ("وب", "ول", "وك", "فب", "فل", "فك", "و", "ف", "ب", "ل", "ك")
# Proclitic sequences the Farasa port knows (its hPrefixes, in Farasa's order), longest
# first, ending with the empty one.
SEGMENTER_PROCLITICS = ("ولال", "فلال", "وبال", "فبال", "وكال", "لال", "وال", "فال", "بال", "كال",
                        "ال", "وب", "ول", "وك", "فب", "فل", "فك", "و", "ف", "ب", "ل", "ك", "")


def _chars(cls: str) -> set[str]:
    """The characters of a class body made of single characters and a-b ranges."""
    out: set[str] = set()
    i = 0
    while i < len(cls):
        if i + 2 < len(cls) and cls[i + 1] == "-":
            out.update(chr(c) for c in range(ord(cls[i]), ord(cls[i + 2]) + 1))
            i += 3
        else:
            out.add(cls[i])
            i += 1
    return out


# --- text layer: what the segmenter sees ----------------------------------------------------

_SEGMENTATION_DROP = _chars(TATWEEL + HARAKAT + SUPERSCRIPT_ALEF + SIGNS_ABOVE + QURANIC_MARKS + INVISIBLE)
# Letter forms mapped to the Arabic letter the segmenter knows.
_SEGMENTATION_MAP = {
    "\u06CC": "\u064A",  # ی Farsi yeh -> ي (word-final ی is also ي in Arabic-script news)
    "\u06D0": "\u064A",  # ې
    "\u06D2": "\u064A",  # ے Urdu yeh barree
    "\u0620": "\u064A",  # ؠ Kashmiri yeh
    "\u063D": "\u064A",  # ؽ Farsi yeh with inverted v
    "\u063E": "\u064A",  # ؾ Farsi yeh with two dots above
    "\u063F": "\u064A",  # ؿ Farsi yeh with three dots above
    "\u06CD": "\u064A",  # ۍ yeh with tail
    "\u06CE": "\u064A",  # ێ yeh with small v
    "\u06D1": "\u064A",  # ۑ yeh with three dots below
    "\u064A": "\u064A",
    "\u06A9": "\u0643",  # ک keheh -> ك
    "\u06AA": "\u0643",  # ڪ swash kaf
    "\u06C0": "\u0629",  # ۀ heh with yeh above -> ة
    "\u06C1": "\u0647",  # ہ heh goal -> ه
    "\u06BE": "\u0647",  # ھ heh doachashmee -> ه
    "\u06D5": "\u0647",  # ە ae -> ه
    "\u0671": "\u0627",  # ٱ alef wasla -> ا
    "\u06C3": "\u0629",  # ۃ teh marbuta goal -> ة
}


def _segmentation_table() -> dict[str, str]:
    table: dict[str, str] = {ch: "" for ch in _SEGMENTATION_DROP}
    table.update(_SEGMENTATION_MAP)
    # Arabic presentation forms (ﻻ, ﺍ, ...) -> their NFKC letters, when those are Arabic.
    for cp in list(range(0xFB50, 0xFE00)) + list(range(0xFE70, 0xFF00)):
        ch = chr(cp)
        n = unicodedata.normalize("NFKC", ch)
        if n != ch and n and all("\u0600" <= c <= "\u06FF" for c in n):
            table[ch] = "".join(_SEGMENTATION_MAP.get(c, "" if c in _SEGMENTATION_DROP else c) for c in n)
    return table


SEGMENTATION_TABLE: dict[str, str] = _segmentation_table()
_SEGMENTATION_TRANSLATE = str.maketrans(SEGMENTATION_TABLE)


def fold_for_segmentation_indexed(word: str) -> tuple[str, list[int]]:
    """``fold_for_segmentation(word)`` and the surface index of each of its characters, so
    segment boundaries found on the folded form can be carried back to the surface."""
    folded = word.translate(_SEGMENTATION_TRANSLATE)
    if folded == word:
        # Most words: the table deletes nothing and expands nothing (a deleted character
        # never appears in an output, an expansion lengthens it), so each maps to itself.
        return folded, list(range(len(word)))
    out: list[str] = []
    index: list[int] = []
    get = SEGMENTATION_TABLE.get
    for i, ch in enumerate(word):
        for c in get(ch, ch):
            out.append(c)
            index.append(i)
    return "".join(out), index


def fold_for_segmentation(word: str) -> str:
    """The form of one word the segmenter sees: no tanween, harakat, tatweel, Quranic or
    invisible marks; Persian/Urdu letter forms and presentation forms as Arabic letters."""
    return word.translate(_SEGMENTATION_TRANSLATE)


# --- boilerplate layer: matching lines against phrases ---------------------------------------

_MATCHING_STRIP = re.compile(f"[{HARAKAT}{SUPERSCRIPT_ALEF}{TATWEEL}{INVISIBLE}]")
_MATCHING_FOLD = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ک": "ك", "ی": "ي", "ي": "ي",
    "ۀ": "ه", "ؤ": "و", "ئ": "ي",
    **{d: str(i) for i, d in enumerate(ARABIC_INDIC_DIGITS)},
    **{d: str(i) for i, d in enumerate(EXTENDED_DIGITS)},
    "٫": ".", "٬": ",", "“": '"', "”": '"', "«": '"', "»": '"', "،": "،",
})
_DISPLAY_FOLD = str.maketrans({"ک": "ك", "ی": "ي"})
_SPACES = re.compile(r"\s+")


_PRESENTATION_FORMS = re.compile("[\ufb50-\ufdff\ufe70-\ufefc]+")


def fold_for_matching(s: str) -> str:
    """A line's matching form: presentation forms ("ﻷ") as the letters they draw, marks
    dropped, alef/ya/ta-marbuta/hamza seats and Persian kaf/ya folded, digits as ASCII,
    quotes as '"', Latin lower-case, whitespace runs as one space, stripped."""
    s = _PRESENTATION_FORMS.sub(lambda m: unicodedata.normalize("NFKC", m.group(0)), s)
    s = _MATCHING_STRIP.sub("", s).translate(_MATCHING_FOLD).lower()
    return _SPACES.sub(" ", s).strip()


def fold_for_display(s: str) -> str:
    """Persian kaf/ya as Arabic letters, for values shown to a client (tags written on
    Persian keyboards); nothing else changes."""
    return s.translate(_DISPLAY_FOLD)


# --- entity layer: names ---------------------------------------------------------------------

_ENTITY_STRIP = re.compile(f"[{SIGNS_ABOVE}{HARAKAT}{SUPERSCRIPT_ALEF}{TATWEEL}{QURANIC_RANGE}{INVISIBLE}]")
_ENTITY_FOLD = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
    "ى": "ي", "ی": "ي", "ې": "ي", "ے": "ي",
    "ة": "ه", "ۀ": "ه", "ۃ": "ه", "ہ": "ه", "ھ": "ه", "ە": "ه",
    "ک": "ك", "ڪ": "ك",
    **{d: str(i) for i, d in enumerate(ARABIC_INDIC_DIGITS)},
})
_LOOSE_FOLD = str.maketrans({
    "غ": "ك", "ج": "ك", "ق": "ك", "گ": "ك", "ڨ": "ك", "ڤ": "ف", "پ": "ب", "چ": "ك",
    "ؤ": "و", "ئ": "ي", "ء": None,
})


# Features, the gazetteer, proclitic trimming and grouping each ask for the same words'
# forms (about 15 calls per token): memoised, bounded for a long-running worker.
@functools.lru_cache(maxsize=100_000)
def fold_for_entities(word: str) -> str:
    """Spelling variation within standard Arabic removed: marks and tatweel dropped, alef
    forms -> ا, ى -> ي, ة -> ه, Persian/Urdu forms -> Arabic letters, Arabic-Indic digits
    as ASCII. Hamza seats are kept."""
    return _ENTITY_STRIP.sub("", word).translate(_ENTITY_FOLD)


@functools.lru_cache(maxsize=100_000)
def fold_loose(word: str) -> str:
    """``fold_for_entities`` plus the letters transliterations spell differently collapsed:
    g (غ ج ق گ ڨ چ) and q -> ك, ڤ -> ف, پ -> ب, hamza seats ؤ ئ -> و ي, bare hamza dropped.
    بيونغ يانغ / بيونج يانج and البنتاغون / البنتاجون share one loose form."""
    return fold_for_entities(word).translate(_LOOSE_FOLD)
