"""Letter-normalised forms of Arabic words for the entity features, gazetteer and grouping.

Two levels, both pure functions of one string (never used for offsets):

* ``norm``: what spelling variation within standard Arabic does not change —
  diacritics and tatweel dropped, alef forms (أ إ آ ٱ) -> ا, alef maqsura ى -> ي,
  ta marbuta ة -> ه, Persian/Urdu letter forms (ک ی ۀ ھ) -> Arabic ones.
* ``loose``: on top of ``norm``, the letters that transliterations of foreign names
  spell differently collapse to one: g as غ/ج/ق/گ/ڨ and k/q as ك/ق all become ك, and
  the hamza seats ؤ/ئ/ء become their bare letters. So ``بيونغ يانغ`` / ``بيونج يانج``
  and ``البنتاغون`` / ``البنتاجون`` share one loose form. Too coarse to tell ordinary
  words apart, so it is only one feature among others and the grouping key.
"""
from __future__ import annotations

import functools
import re

_DIACRITICS = re.compile("[\u0610-\u061A\u064B-\u065F\u0670\u0640\u06D6-\u06ED"
                         "\u200B-\u200F\u061C\uFEFF\u202A-\u202E\u2066-\u2069]")

_NORM = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ٲ": "ا", "ٳ": "ا",
    "ى": "ي", "ی": "ي", "ې": "ي", "ے": "ي",
    "ة": "ه", "ۀ": "ه", "ۃ": "ه", "ہ": "ه", "ھ": "ه", "ە": "ه",
    "ک": "ك", "ڪ": "ك",
    "٠": "0", "١": "1", "٢": "2", "٣": "3", "٤": "4",
    "٥": "5", "٦": "6", "٧": "7", "٨": "8", "٩": "9",
})

_LOOSE = str.maketrans({
    "غ": "ك", "ج": "ك", "ق": "ك", "گ": "ك", "ڨ": "ك", "ڤ": "ف", "پ": "ب", "چ": "ك",
    "ؤ": "و", "ئ": "ي", "ء": None,
})


# Features, the gazetteer, proclitic trimming and grouping each ask for the same words'
# forms (about 15 calls per token): memoised, bounded for a long-running worker.
@functools.lru_cache(maxsize=100_000)
def norm(word: str) -> str:
    return _DIACRITICS.sub("", word).translate(_NORM)


@functools.lru_cache(maxsize=100_000)
def loose(word: str) -> str:
    return norm(word).translate(_LOOSE)
