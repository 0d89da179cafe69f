"""Which language a text is in, cheaply: Arabic script share first, simplemma for Latin.

The cleaner's rules are for Arabic news; anything else passes through untouched and flagged.
"""
from __future__ import annotations

import re

_ARABIC_RE = re.compile("[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc]")
_PERSIAN_ONLY_RE = re.compile("[پچژگ]")
_ARABIC_ONLY_RE = re.compile("[ةىإأؤ]")
_LATIN_RE = re.compile("[A-Za-z\u00c0-\u024f]")
_OTHER_LETTER_RE = re.compile(r"[^\W\d_]")
_LATIN_CANDIDATES = ("en", "fr", "es", "de", "it", "pt", "tr", "id", "nl")


def detect(text: str) -> str:
    """'ar', another ISO 639-1 code, or 'und' when there is too little to tell."""
    sample = text[:20000]
    arabic = len(_ARABIC_RE.findall(sample))
    letters = len(_OTHER_LETTER_RE.findall(sample))
    if letters < 3:
        return "und"
    if arabic / letters >= 0.5:
        persian = len(_PERSIAN_ONLY_RE.findall(sample))
        # Persian and Urdu share the script; Arabic-only letters settle it
        if persian > 0.01 * arabic and len(_ARABIC_ONLY_RE.findall(sample)) < persian:
            return "fa"
        return "ar"
    latin = len(_LATIN_RE.findall(sample))
    if latin / letters < 0.5:
        return "und"
    try:
        import simplemma
        scores = simplemma.langdetect(sample[:3000], lang=_LATIN_CANDIDATES)
    except Exception:                      # a language guess must never fail a job
        return "und"
    best, score = scores[0]
    return best if best != "unk" and score > 0.2 else "und"
