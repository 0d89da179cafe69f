"""Tokens with exact code-point offsets: Arabic words, numbers, Latin words, URLs, e-mails,
punctuation and symbols. Whitespace, control and invisible format characters are not
tokens (zero-width and bidi marks *inside* an Arabic word stay part of the word)."""
from __future__ import annotations

import re
import unicodedata

from nlp.arabic import INVISIBLE, WORD_LETTERS, WORD_MARKS

_LAT = "A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F\u1E00-\u1EFF"
_TLD = ("com|net|org|info|gov|edu|int|io|co|tv|news|me|ly|ru|uk|fr|de|sa|ae|eg|qa|kw|ma|dz|tn|"
        "jo|lb|iq|sy|ps|ye|om|bh|sd|tr|ir|us|ca|eu")
_URL_BODY = r"[^\s<>\"«»“”]*[^\s<>\"«»“”.,;:!?،؛؟)\]}'’]"

# A word: Arabic letters with their marks, and invisible marks only *between* letters
# (ZWNJ in Persian spellings, stray bidi marks pasted from web pages).
_TOKEN = re.compile(
    rf"(?P<url>(?:https?://|ftp://|www\.){_URL_BODY}"
    # Bare domains and e-mail addresses: repetitions bounded by DNS and RFC 5321 limits,
    # so a long run that is not one ("a.a.a.…") costs linear time, not quadratic.
    rf"|[A-Za-z0-9][A-Za-z0-9-]{{0,62}}(?:\.[A-Za-z0-9-]{{1,63}}){{0,8}}\.(?:{_TLD})\b(?:/{_URL_BODY})?)"
    r"|(?P<email>[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8})"
    rf"|(?P<word>[{WORD_LETTERS}][{WORD_LETTERS}{WORD_MARKS}]*(?:[{INVISIBLE}]+[{WORD_LETTERS}{WORD_MARKS}]+)*)"
    r"|(?P<number>\d+(?:[.,٫٬]\d+)*)"
    rf"|(?P<latin>[{_LAT}](?:[{_LAT}0-9]|['’\-](?=[{_LAT}0-9]))*)"
    r"|(?P<run>(?P<rc>[.!?؟])(?P=rc)+)"
    r"|(?P<other>\S)"
)

_ARABIC_OR_LATIN = re.compile(f"[{WORD_LETTERS}{WORD_MARKS}{_LAT}]")

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
