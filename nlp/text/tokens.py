"""Tokens with exact code-point offsets: Arabic words, numbers, Latin words, URLs, e-mails,
punctuation and symbols. Whitespace, control and invisible format characters are not
tokens (zero-width and bidi marks *inside* an Arabic word stay part of the word)."""
from __future__ import annotations

import re
import unicodedata

# Arabic letters (base block, supplement, extended-A, presentation forms).
_AL = ("\u0620-\u063F\u0641-\u064A\u066E\u066F\u0671-\u06D3\u06D5\u06EE\u06EF\u06FA-\u06FC\u06FF"
       "\u0750-\u077F\u08A0-\u08C9\uFB50-\uFBB1\uFBD3-\uFD3D\uFD50-\uFDC7\uFDF0-\uFDFB\uFE70-\uFEFC")
# Marks and tatweel that belong to the letter before them.
_AM = "\u0610-\u061A\u0640\u064B-\u065F\u0670\u06D6-\u06DC\u06DF-\u06E8\u06EA-\u06ED\u08CA-\u08FF"
# Invisible marks allowed between the letters of one word (ZWNJ in Persian spellings, stray
# bidi marks pasted from web pages).
_INV = "\u200B-\u200F\u061C\uFEFF\u202A-\u202E\u2066-\u2069"

_LAT = "A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F\u1E00-\u1EFF"
_TLD = ("com|net|org|info|gov|edu|int|io|co|tv|news|me|ly|ru|uk|fr|de|sa|ae|eg|qa|kw|ma|dz|tn|"
        "jo|lb|iq|sy|ps|ye|om|bh|sd|tr|ir|us|ca|eu")
_URL_BODY = r"[^\s<>\"«»“”]*[^\s<>\"«»“”.,;:!?،؛؟)\]}'’]"

_TOKEN = re.compile(
    rf"(?P<url>(?:https?://|ftp://|www\.){_URL_BODY}"
    # Bare domains and e-mail addresses: repetitions bounded by DNS and RFC 5321 limits,
    # so a long run that is not one ("a.a.a.…") costs linear time, not quadratic.
    rf"|[A-Za-z0-9][A-Za-z0-9-]{{0,62}}(?:\.[A-Za-z0-9-]{{1,63}}){{0,8}}\.(?:{_TLD})\b(?:/{_URL_BODY})?)"
    r"|(?P<email>[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8})"
    rf"|(?P<word>[{_AL}][{_AL}{_AM}]*(?:[{_INV}]+[{_AL}{_AM}]+)*)"
    r"|(?P<number>\d+(?:[.,٫٬]\d+)*)"
    rf"|(?P<latin>[{_LAT}](?:[{_LAT}0-9]|['’\-](?=[{_LAT}0-9]))*)"
    r"|(?P<run>(?P<rc>[.!?؟])(?P=rc)+)"
    r"|(?P<other>\S)"
)

_ARABIC_OR_LATIN = re.compile(f"[{_AL}{_AM}{_LAT}]")

_SKIP_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"}


def _classify(ch: str) -> str | None:
    cat = unicodedata.category(ch)
    if cat in _SKIP_CATEGORIES:
        return None
    if cat[0] == "P":
        return "punct"
    if cat[0] == "L":
        return "latin"  # a letter of another script: a foreign word (see docs)
    return "symbol"


def _foreign_end(text: str, i: int) -> int:
    """End of a run of letters of a non-Arabic, non-Latin script starting at i."""
    n = len(text)
    j = i
    while j < n:
        c = text[j]
        if unicodedata.category(c)[0] not in "LM" or _ARABIC_OR_LATIN.match(c):
            break
        j += 1
    return j


def tokenize(text: str) -> list[tuple[str, int, int, str]]:
    """(text, start, end, kind) for every token, in order, never overlapping."""
    out: list[tuple[str, int, int, str]] = []
    pos = 0
    n = len(text)
    match = _TOKEN.search
    while pos < n:
        m = match(text, pos)
        if m is None:
            break
        kind = m.lastgroup
        start, end = m.span()
        if kind == "run":  # the outer group closes last, so a run reports "run"
            kind = "punct"
        elif kind == "other":
            ch = text[start]
            kind = _classify(ch)
            if kind is None:
                pos = end
                continue
            if kind == "latin":
                end = max(end, _foreign_end(text, start))
        out.append((text[start:end], start, end, kind))
        pos = end
    return out
