"""Split a text into lines with offsets, and compute the shape features the rules read.

Only non-blank lines become ``Line`` objects. A line is blank when it holds nothing but
whitespace (Python's ``str.isspace`` covers NBSP, which scraped pages are full of).
``start``/``end`` are code-point offsets of the line's stripped content in the input, so
``text[start:end] == line.text`` always holds.

``norm`` is the matching form (``normalize`` = ``nlp.arabic.fold_for_matching``): no
diacritics, tatweel, bidi or zero-width marks; alef, ya, ta-marbuta, Persian kaf/ya folded;
Eastern Arabic digits as ASCII; Latin lower-case. The rules match phrases against ``norm``
so that "اقرأ أيضاً" and "اقرا ايضا" are the same.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from nlp.arabic import LINE_LETTERS, fold_for_display as display_fold, fold_for_matching as normalize

_ARABIC_LETTER_RE = re.compile(f"[{LINE_LETTERS}]")
_LATIN_LETTER_RE = re.compile("[A-Za-z\u00c0-\u024f]")
_WORD_RE = re.compile(r"[\w\u0600-\u06ff]+(?:[._][\w\u0600-\u06ff]+)*")
# Bullets and list numbers that open a list item: "•", "-", "*", "1.", "2-", "٣)", ...
_BULLET_RE = re.compile(r"^\s*(?:[•·●▪■◦►▶◀»›\-–—*+]|\(?[0-9٠-٩]{1,2}\s*[.\-–)\]:]|\([0-9٠-٩]{1,2}\))\s+")
# A line that ends like a sentence (possibly inside a closing quote or bracket).
_SENTENCE_END_RE = re.compile(r"[.!؟?…:;؛]\s*[\"'”»)\]]*\s*$|[\"”»]\s*[.!؟?]?\s*$")
_PERIOD_END_RE = re.compile(r"(?<!\.)\.\s*[\"'”»)\]]*\s*$|[!…]\s*[\"'”»)\]]*\s*$")


def words(norm: str) -> list[str]:
    return _WORD_RE.findall(norm)


def strip_bullet(s: str) -> str:
    return _BULLET_RE.sub("", s, count=1).strip()


@dataclass
class Line:
    index: int            # position among non-blank lines
    number: int           # 1-based physical line number in the input
    start: int
    end: int
    text: str
    norm: str = ""
    words: list[str] = field(default_factory=list)
    bullet: bool = False
    stamp: str = ""       # a scraper's "date 2024-03-05" stamp cut off the front of the line
    _arabic: int = -1
    _latin: int = -1

    @property
    def arabic(self) -> int:
        """Arabic letters (counted when first asked: most lines never are)."""
        if self._arabic < 0:
            self._arabic = len(_ARABIC_LETTER_RE.findall(self.text))
        return self._arabic

    @property
    def has_arabic(self) -> bool:
        return self._arabic > 0 if self._arabic >= 0 else bool(_ARABIC_LETTER_RE.search(self.text))

    @property
    def latin(self) -> int:
        """Latin letters."""
        if self._latin < 0:
            self._latin = len(_LATIN_LETTER_RE.findall(self.text))
        return self._latin

    @property
    def n_words(self) -> int:
        return len(self.words)

    @property
    def ends_sentence(self) -> bool:
        """Ends with a full stop or '!' (not '?', which headlines use, nor '..')."""
        return bool(_PERIOD_END_RE.search(self.text))

    @property
    def ends_colon(self) -> bool:
        return self.text.rstrip(" \"'”»)").endswith((":", "："))

    @property
    def prose(self) -> bool:
        """Looks like a paragraph of running text rather than a label or a headline.

        Long lines are prose whatever their ending; shorter ones need a sentence ending.
        A run-together strip of headlines is long but has no sentence punctuation inside
        and is handled by the rules separately.
        """
        if self.n_words >= 14:
            return True
        return self.n_words >= 5 and self.ends_sentence

    @property
    def headline_like(self) -> bool:
        """Short, titled, no sentence full stop: a headline, a list item or a subheading."""
        return 2 <= self.n_words <= 24 and not self.ends_sentence and not self.ends_colon


def split_lines(text: str) -> list[Line]:
    """Non-blank lines of ``text`` with stripped-content offsets into ``text``."""
    out: list[Line] = []
    pos = 0
    number = 0
    # Split on \n only; a \r before it is whitespace and is stripped from the content.
    for raw in text.split("\n"):
        number += 1
        line_start = pos
        pos += len(raw) + 1
        if not raw or raw.isspace():
            continue
        lead = len(raw) - len(raw.lstrip())
        stamp = _STAMP_RE.match(raw) if not out else None
        if stamp and raw[stamp.end():].strip():
            # the stamp is not part of the line: what follows it is labelled on its own
            lead = stamp.end() + len(raw[stamp.end():]) - len(raw[stamp.end():].lstrip())
        content = raw.strip() if lead == len(raw) - len(raw.lstrip()) else raw[lead:].strip()
        start = line_start + lead
        ln = Line(index=len(out), number=number, start=start, end=start + len(content), text=content)
        ln.norm = normalize(content)
        ln.words = words(strip_bullet(ln.norm))
        ln.bullet = bool(_BULLET_RE.match(content))
        if stamp and lead > len(raw) - len(raw.lstrip()):
            ln.stamp = stamp.group(1)
        out.append(ln)
    return out


_STAMP_RE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\s+")
