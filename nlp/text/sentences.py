"""Sentence spans for Arabic news, with code-point offsets.

A line break is always a boundary. Inside a line, a sentence ends after a run of
terminators (. ؟ ? ! …) with any closing quotes/brackets (» ” " ’ ) ]) when whitespace
or the end of the line follows. A '.' does not end a sentence after a one-letter word
(Arabic abbreviations: د. for doctor, م. for engineer/AD, أ. for professor) nor
between digits (3.5 has no whitespace after the dot anyway).
"""
from __future__ import annotations

import re

_LINES = re.compile(r"[^\r\n\u2028\u2029\x85\x0b\x0c]+")
_JUNCTION = re.compile(r"[.!?؟…]+[»”\"'’)\]]*(?=\s|$)")


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and (text[start].isspace() or not text[start].isprintable()):
        start += 1
    while end > start and (text[end - 1].isspace() or not text[end - 1].isprintable()):
        end -= 1
    return start, end


def _suppressed(line: str, dot_at: int, run: str) -> bool:
    """Is the '.' at line[dot_at] an abbreviation dot rather than a sentence end?"""
    if run != ".":
        return False
    # The word before the dot: walk back to the previous space (a regex search from the
    # line's start at every dot would be quadratic on long lines).
    i = dot_at
    while i and not line[i - 1].isspace():
        i -= 1
    if i == dot_at:
        return False
    word = line[i:dot_at].lstrip("([«“\"'")
    return len(word) == 1 and word.isalpha()


def split(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; no sentence is empty or only whitespace."""
    spans: list[tuple[int, int]] = []
    for line_m in _LINES.finditer(text):
        line_start = line_m.start()
        line = line_m.group()
        start = 0
        for j in _JUNCTION.finditer(line):
            run = j.group().rstrip("»”\"'’)]")
            if _suppressed(line, j.start(), run):
                continue
            s, e = _trim(line, start, j.end())
            if s < e:
                spans.append((line_start + s, line_start + e))
            start = j.end()
        s, e = _trim(line, start, len(line))
        if s < e:
            spans.append((line_start + s, line_start + e))
    return spans
