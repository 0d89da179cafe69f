"""General clitic rules applied on top of the Farasa port's answer.

The port's scorer is weakest on words it has no statistics for as a whole: it then
prefers to leave the word unsplit even when a clitic reading has a known stem. The rules
below are morphological (they name clitic and affix classes and consult the port's own
lexicons), never lists of words. VERSION names the rule set and is part of the engine
version written into every result.

  R1  imperfective verb + subject suffix:  (و|ف)?(س|ل)? يفعل + ون|وا|ان (+ object pronoun)
      when يفعل is a known word form        يستعملون -> يستعمل+ون
  R2  future س / subjunctive ل before an imperfective verb known as a word form
                                            ستموت -> س+تموت, لينتهي -> ل+ينتهي
  R3  feminine ة written ت before a suffix: stem+ت+(ين|ي|نا|ها|ه|هم|هما|هن|كم|ك|كما|ان)
      when stem+ة is a known word           دراستنا -> دراس+ت+نا
  R4  a name the port's gazetteers know (and its morphology list does not) stays whole
                                            نيوتون -> نيوتون (not نيوت+ون)
"""
from __future__ import annotations

import re

from nlp.arabic import SEGMENTER_PROCLITICS

VERSION = "3"

W, F, S, L = "\u0648", "\u0641", "\u0633", "\u0644"
TA, TA_M = "\u062A", "\u0629"

_R1 = re.compile(
    "^(?P<conj>[\u0648\u0641]?)(?P<part>[\u0633\u0644]?)"
    "(?P<verb>\u064A.{3,}?)(?P<subj>\u0648\u0646|\u0648\u0627|\u0627\u0646)"
    "(?P<obj>\u0647|\u0647\u0627|\u0647\u0645|\u0647\u0645\u0627|\u0647\u0646|\u0643|\u0643\u0645|"
    "\u0643\u0645\u0627|\u0646\u0627|\u0646\u064A)?$")
_R2 = re.compile("^(?P<conj>[\u0648\u0641]?)(?P<part>[\u0633\u0644])(?P<rest>[\u064A\u062A\u0646].{3,})$")
_R3_SUFFIXES = ("\u064A\u0646", "\u064A", "\u0646\u0627", "\u0647\u0627", "\u0647", "\u0647\u0645",
                "\u0647\u0645\u0627", "\u0647\u0646", "\u0643\u0645", "\u0643", "\u0643\u0645\u0627",
                "\u0627\u0646")


# wordCount holds log relative frequencies; this is the value of a word seen once.
_HAPAX = -8.38
# An imperfective stem before ون/وا/ان does not end in a long vowel (يبنون, not يبنيون).
_WEAK_FINAL = "\u064A\u0649\u0627\u0648"


def _split_proclitics(p: str) -> list[str]:
    """'وبال' -> ['و', 'ب', 'ال'] (ال is one clitic)."""
    out = []
    i = 0
    while i < len(p):
        if p.startswith("\u0627\u0644", i):
            out.append("\u0627\u0644")
            i += 2
        else:
            out.append(p[i])
            i += 1
    return out


def _known_form(w: str, port) -> bool:
    return w in port.hmListMorph and w in port.wordCount


def _freq(w: str, port) -> float:
    return port.wordCount.get(w, -99.0)


def segment(key: str, port) -> tuple[str, ...]:
    """Segments of one normalised word (``لل`` already rewritten as ``لال``)."""
    base = port.segment_key(key)
    if key in port.hmSeenBefore:
        # The port's preloaded answers come from Farasa's own training data: trust them.
        return base
    return _apply_rules(key, base, port)


def _apply_rules(key: str, base: tuple[str, ...], port) -> tuple[str, ...]:
    # R4: a known name that is not a known inflected form stays whole.
    if len(base) > 1 and key in port.hmPeople and key in port.wordCount \
            and key not in port.hmListMorph and not key.startswith("\u0627\u0644"):
        return (key,)
    # R1: verb + subject suffix.
    m = _R1.match(key)
    if m and m["subj"] not in base and _known_form(m["verb"], port) \
            and _freq(m["verb"], port) > _HAPAX and m["verb"][-1] not in _WEAK_FINAL:
        segs = [c for c in (m["conj"], m["part"]) if c]
        segs += [m["verb"], m["subj"]] + ([m["obj"]] if m["obj"] else [])
        return tuple(segs)
    # R2: س / ل before an imperfective verb.
    m = _R2.match(key)
    if m:
        clitics = tuple(c for c in (m["conj"], m["part"]) if c)
        if base[:len(clitics)] != clitics and _known_form(m["rest"], port) \
                and not m["rest"].endswith(TA_M) and _freq(m["rest"], port) > _freq(key, port):
            return clitics + segment(m["rest"], port)
    # R3: stem + ت (for ة) + suffix.
    if TA not in base:
        for suf in _R3_SUFFIXES:
            if not key.endswith(TA + suf):
                continue
            body = key[: -len(suf) - 1]
            # The longest proclitic sequence that leaves a known ة-noun wins (the port's
            # lexicons also list clitic-attached forms such as ومئة).
            for pre in SEGMENTER_PROCLITICS:
                stem = body[len(pre):]
                if body.startswith(pre) and len(stem) >= 2 and _known_form(stem + TA_M, port):
                    return tuple(_split_proclitics(pre)) + (stem, TA, suf)
    return base
