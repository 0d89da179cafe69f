"""The project's gazetteer (gazetteer.tsv beside this module): lookup by letter-loose form.

gazetteer.tsv is written by hand for this project (see its header for the origin). Every
name is indexed by its ``loose`` token sequence, so spelling variants the file does not
list (غ/ج, ك/ق, hamza seats, ة/ه) still match. ``match`` finds the longest gazetteer names
in a sentence; a name's first word may carry proclitics (وبموسكو, لروسيا, للولايات).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from nlp.arabic import NAME_PROCLITICS

from .normalise import loose, norm

# A one-word name matches by its loose form only when long enough: short loose forms collide
# with ordinary words (اقرأ and أكرا are both اكرا loosely).
MIN_LOOSE_SINGLE = 6

DATA = Path(__file__).with_name("gazetteer.tsv")
TYPES = ("PER", "LOC", "ORG")



@dataclass
class Gazetteer:
    names: dict[tuple[str, ...], set[str]] = field(default_factory=dict)   # loose seq -> types
    exact: set[tuple[str, ...]] = field(default_factory=set)               # norm seqs as listed
    entry: dict[tuple[str, ...], int] = field(default_factory=dict)        # loose seq -> entry id
    canonical: list[str] = field(default_factory=list)                     # entry id -> canonical
    given: set[str] = field(default_factory=set)        # loose tokens that mark a person
    first_words: set[str] = field(default_factory=set)  # loose first words of all names
    single_loc: set[str] = field(default_factory=set)   # one-word place names (for nisba cues)
    max_len: int = 1

    def first_word_forms(self, word: str) -> list[tuple[int, str]]:
        """(proclitic length, loose form) readings of a name's first word."""
        lw = loose(word)
        forms = [(0, lw)]
        for p in NAME_PROCLITICS:
            if lw.startswith(p) and len(lw) - len(p) >= 2:
                forms.append((len(p), lw[len(p):]))
        for p in ("", "و", "ف"):                        # (و/ف)لل = ل + ال
            if lw.startswith(p + "لل") and len(lw) > len(p) + 3:
                forms.append((len(p) + 1, "ا" + lw[len(p) + 1:]))
        return forms

    def match(self, words: list[str]) -> list[tuple[int, int, set[str]]]:
        """Longest non-overlapping gazetteer names in ``words``: (start, end, types)."""
        looses = [loose(w) for w in words]
        out = []
        i = 0
        n = len(words)
        while i < n:
            best = None
            for _, first in self.first_word_forms(words[i]):
                for j in range(min(n, i + self.max_len), i, -1):
                    if best is not None and j <= best[1]:
                        break
                    key = (first, *looses[i + 1:j])
                    types = self.names.get(key)
                    if types and j - i == 1 and len(first) < MIN_LOOSE_SINGLE:
                        cut = len(loose(words[i])) - len(first)
                        nw = norm(words[i])[cut:] if cut >= 0 else ""
                        if (nw,) not in self.exact and ("ا" + nw[1:],) not in self.exact:
                            types = None
                    if types:
                        best = (i, j, types)
                        break
            if best:
                out.append(best)
                i = best[1]
            else:
                i += 1
        return out


@lru_cache(maxsize=1)
def load(path: str | None = None) -> Gazetteer:
    gaz = Gazetteer()
    for line in Path(path or DATA).read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kind, _, names = line.partition("\t")
        forms = [n.strip() for n in names.split("|") if n.strip()]
        if kind == "GIVEN":
            gaz.given.update(loose(n) for n in forms)
            continue
        if kind not in TYPES:
            raise ValueError(f"gazetteer: unknown type {kind!r}")
        eid = len(gaz.canonical)
        gaz.canonical.append(forms[0])
        for form in forms:
            key = tuple(loose(w) for w in form.split())
            gaz.names.setdefault(key, set()).add(kind)
            gaz.exact.add(tuple(norm(w) for w in form.split()))
            gaz.first_words.add(key[0])
            gaz.entry.setdefault(key, eid)
            gaz.max_len = max(gaz.max_len, len(key))
            if kind == "LOC" and len(key) == 1:
                gaz.single_loc.add(key[0])
            if kind == "PER":
                # Words of full person names (minus titles) are person cues too.
                gaz.given.update(k for k in key if k not in ("الملك", "الملكه", "البابا", "اميه", "ايه", "الله"))
    return gaz
