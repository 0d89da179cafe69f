"""Segmentation engines: each turns Arabic words into Farasa-scheme clitic segments.

An engine has ``name``, ``version`` and ``segment_words(words) -> list[list[str]]``.
Segments are surface forms: joined, they give back the word, with Farasa's one rewrite:
a word starting with لل (or ولل/فلل) is segmented as ل+ال (``للمحتوى`` -> ل ال محتوى).
Diacritics, tatweel and invisible marks stay on the segment of the letter before them.

Engines:
  builtin  the PyPI package ``Farasa`` (pure-Python port of Farasa's segmenter)
  farasa   the Farasa segmenter jar through farasapy's command, one warm JVM per process
"""
from __future__ import annotations

import functools
import importlib.metadata

from .normalize import normalise_word

LAM, ALEF = "\u0644", "\u0627"
LAMLAM = LAM + LAM


def _pkg_version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - broken install
        return "unknown"


def to_surface(word: str, norm: str, index: list[int], segs: list[str]) -> list[str]:
    """Carry segments found on ``norm`` back to surface slices of ``word``.

    ``index[k]`` is the surface position of norm[k]. Segments must join to ``norm``,
    or to ``norm`` with the ل+ال rewrite of a leading لل; otherwise the word is
    returned whole (never a wrong slice).
    """
    if len(segs) <= 1 or not norm:
        return [word]
    joined = "".join(segs)
    inserted = -1  # position in ``joined`` of an alef that is not in the surface
    if joined != norm:
        for p in (0, 1):  # لل, or و/ف + لل
            if (norm[p:p + 2] == LAMLAM and joined == norm[:p + 1] + ALEF + norm[p + 1:]
                    and (p == 0 or norm[0] in "\u0648\u0641")):
                inserted = p + 1
                break
        else:
            return [word]
    out: list[str] = []
    k = 0  # position in joined
    cuts: list[int] = []  # norm index at which each segment after the first starts
    for seg in segs:
        start = k
        k += len(seg)
        if start == 0:
            continue
        # map joined position -> norm position
        cuts.append(start - (1 if inserted >= 0 and start > inserted else 0))
    bounds = [0] + [index[c] for c in cuts] + [len(word)]
    for i, seg in enumerate(segs):
        if inserted >= 0 and seg == ALEF + LAM and i > 0 and bounds[i] == bounds[i + 1] - 1:
            out.append(seg)  # ال written as the second lam of لل: Farasa's ل+ال
        else:
            out.append(word[bounds[i]:bounds[i + 1]])
    if any(not s for s in out):
        return [word]
    return out


class BuiltinSegmenter:
    """The Farasa port (PyPI ``Farasa``) with normalised input and bounded caches.

    Words go through ``fastport`` (the port's algorithm, memoised, same answers) and then
    through ``rules`` (general clitic rules that fix known weaknesses of the port).
    """

    name = "farasa-port"

    def __init__(self, cache_size: int = 200_000):
        from . import fastport, rules
        self._fastport = fastport
        self._rules = rules
        self.version = f"Farasa {_pkg_version('Farasa')} (port) + rules {rules.VERSION}"
        self.cache_size = cache_size
        self._segment_norm = functools.lru_cache(maxsize=cache_size)(self._segment_norm_uncached)

    def _segment_norm_uncached(self, norm: str) -> tuple[str, ...]:
        # The port's tokenizer rewrites a leading لل as لال before segmenting.
        key = LAM + ALEF + norm[1:] if norm.startswith(LAMLAM) else norm
        return self._rules.segment(key, self._fastport)

    def segment_normalised(self, norm: str) -> tuple[str, ...]:
        """Segments of an already normalised word (letters only)."""
        return self._segment_norm(norm)

    def cache_info(self):
        return self._segment_norm.cache_info()

    def segment_words(self, words: list[str]) -> list[list[str]]:
        out = []
        seg = self._segment_norm
        for word in words:
            norm, index = normalise_word(word)
            if not norm:
                out.append([word])
                continue
            out.append(to_surface(word, norm, index, list(seg(norm))))
        return out


class FarasaJarSegmenter:
    """Farasa's own segmenter jar (interactive JVM). Being built: refuses for now."""

    name = "farasa"

    @classmethod
    def from_settings(cls):
        from workers.pipeline import PipelineError
        raise PipelineError("the farasa segmentation engine is not configured "
                            "(set FARASA_SEGMENTER_JAR to FarasaSegmenterJar.jar)",
                            code="engine-unavailable")
