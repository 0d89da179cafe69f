"""What the segmenter sees: one word, normalised. Offsets are never computed from this.

The Farasa port was trained on plain Arabic letters without diacritics. News text also
carries Persian/Urdu letter forms (ی ک ۀ ھ), tatweel, diacritics and tanween (أيضاً),
and invisible bidi / zero-width marks. ``normalise_word`` maps each surface character to
zero or one normalised characters and returns, with the normalised word, the surface
index of every normalised character, so segment boundaries found on the normalised form
can be carried back to the surface exactly.
"""
from __future__ import annotations

import unicodedata

# Characters dropped from the segmenter's view.
_DROP = set(
    "\u0640"                      # tatweel
    "\u064B\u064C\u064D\u064E\u064F\u0650\u0651\u0652"  # tanween, harakat, shadda, sukun
    "\u0653\u0654\u0655\u0656\u0657\u0658\u0659\u065A\u065B\u065C\u065D\u065E\u065F"
    "\u0670"                      # superscript alef
    "\u0610\u0611\u0612\u0613\u0614\u0615\u0616\u0617\u0618\u0619\u061A"  # Quranic marks
    "\u06D6\u06D7\u06D8\u06D9\u06DA\u06DB\u06DC\u06DF\u06E0\u06E1\u06E2\u06E3\u06E4"
    "\u06E7\u06E8\u06EA\u06EB\u06EC\u06ED"
    "\u200B\u200C\u200D\u200E\u200F\u061C\uFEFF"  # zero-width and bidi marks
    "\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069"  # bidi embeddings/isolates
)

# Letter forms mapped to the Arabic letter the segmenter knows.
_MAP = {
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


def _build_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for ch in _DROP:
        table[ch] = ""
    table.update(_MAP)
    # Arabic presentation forms (ﻻ, ﺍ, ...) -> their NFKC letters, when those are Arabic.
    for cp in list(range(0xFB50, 0xFE00)) + list(range(0xFE70, 0xFF00)):
        ch = chr(cp)
        n = unicodedata.normalize("NFKC", ch)
        if n != ch and n and all("\u0600" <= c <= "\u06FF" for c in n):
            table[ch] = "".join(_MAP.get(c, "" if c in _DROP else c) for c in n)
    return table


TABLE: dict[str, str] = _build_table()


def normalise_word(word: str) -> tuple[str, list[int]]:
    """Return (normalised word, surface index of each normalised character)."""
    out: list[str] = []
    index: list[int] = []
    get = TABLE.get
    for i, ch in enumerate(word):
        rep = get(ch, ch)
        for c in rep:
            out.append(c)
            index.append(i)
    return "".join(out), index


def normalise(word: str) -> str:
    """The normalised form only (what the segmenter sees)."""
    return "".join(TABLE.get(ch, ch) for ch in word)
