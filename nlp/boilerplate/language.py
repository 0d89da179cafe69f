"""Which language a text is in, cheaply: Arabic script share first, then function words.

The cleaner's rules are for Arabic news; anything else passes through untouched and flagged,
so this only has to be right about "Arabic or not". For Latin-script text it votes with a
few dozen function words per language (simplemma's detector was tried first: loading its
dictionaries took 10+ s per language, too slow for a per-job flag).
"""
from __future__ import annotations

import re

from nlp.arabic import SCRIPT

_ARABIC_RE = re.compile(f"[{SCRIPT}]")
_PERSIAN_ONLY_RE = re.compile("[پچژگ]")
_ARABIC_ONLY_RE = re.compile("[ةىإأؤ]")
_LATIN_RE = re.compile("[A-Za-z\u00c0-\u024f]")
_OTHER_LETTER_RE = re.compile(r"[^\W\d_]")
_FUNCTION_WORDS = {
    "en": "the of and to in is that for on with as was are by at from it this be have has said".split(),
    "fr": "le la les des et du un une est dans pour que qui sur au par pas avec ses été".split(),
    "es": "el la los las de del y en que por con para una es se al lo como más fue".split(),
    "de": "der die das und ist nicht mit von den zu ein eine dem des auf für sich auch wird".split(),
    "it": "il di che la è per un una del della sono con non gli nel alla dei anche".split(),
    "pt": "o os as de do da dos das e em um uma para com não que por se foi pelo".split(),
    "tr": "ve bir bu da de için ile olarak daha çok olan gibi ama en değil sonra".split(),
    "id": "yang dan di ini itu dengan untuk dari dalam tidak akan pada juga ke adalah".split(),
    "nl": "de het een en van is dat op te zijn met voor niet aan er ook door".split(),
}
_WORD_RE = re.compile(r"[^\W\d_]+")


def detect(text: str) -> str:
    """'ar', another ISO 639-1 code, or 'und' when there is too little to tell."""
    head = text[:1500]
    if len(_ARABIC_RE.findall(head)) >= 400 and not _LATIN_RE.search(head):
        return _arabic_or_persian(text[:6000])   # plainly Arabic script: no counting of the rest
    sample = text[:6000]
    arabic = len(_ARABIC_RE.findall(sample))
    letters = len(_OTHER_LETTER_RE.findall(sample))
    if letters < 3:
        return "und"
    # (or a good deal of Arabic beside a long English caption or widget text)
    if arabic / letters >= 0.5 or (arabic >= 200 and arabic / letters >= 0.3):
        return _arabic_or_persian(sample, arabic)
    latin = len(_LATIN_RE.findall(sample))
    if latin / letters < 0.5:
        return "und"
    toks = [t.lower() for t in _WORD_RE.findall(sample[:5000])]
    votes = {lang: sum(t in ws for t in toks) for lang, ws in _SETS.items()}
    best = max(votes, key=votes.get)
    return best if votes[best] >= 2 else "und"


_SETS = {lang: frozenset(ws) for lang, ws in _FUNCTION_WORDS.items()}


def _arabic_or_persian(sample: str, arabic: int | None = None) -> str:
    """Persian and Urdu share the script; Arabic-only letters settle it."""
    persian = len(_PERSIAN_ONLY_RE.findall(sample))
    if not persian:
        return "ar"
    if arabic is None:
        arabic = len(_ARABIC_RE.findall(sample))
    if persian > 0.01 * arabic and len(_ARABIC_ONLY_RE.findall(sample)) < persian:
        return "fa"
    return "ar"
