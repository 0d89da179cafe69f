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
import logging
from pathlib import Path

from ..arabic import fold_for_segmentation_indexed

from nlp import is_interrupt

log = logging.getLogger(__name__)

LAM, ALEF = "\u0644", "\u0627"
LAMLAM = LAM + LAM
YEH, ALEF_MAKSURA = "\u064A", "\u0649"
FARSI_YEHS = "\u06CC\u06D0\u063D\u063E\u063F\u0620"


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
        piece = word[bounds[i]:bounds[i + 1]]
        if not piece:
            # A cut inside one surface character (a ligature such as ﻻ, two letters in
            # the normalised word): no surface for the segment, so keep the word whole.
            return [word]
        if inserted >= 0 and seg == ALEF + LAM and i > 0 and cuts[i - 1] == inserted:
            # ال written as the second lam of لل: Farasa's ل+ال. The segment is ال plus
            # whatever marks follow that lam in the surface (للَّ -> ل, الَّ).
            piece = ALEF + piece
        out.append(piece)
    if any(not s for s in out):
        return [word]
    return out


class BuiltinSegmenter:
    """The Farasa port (PyPI ``Farasa``) with normalised input and bounded caches.

    Words go through ``fastport`` (the port's algorithm, memoised, same answers) and then
    through ``rules`` (general clitic rules that fix known weaknesses of the port).
    """

    name = "builtin"

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

    def cache_info(self):
        return self._segment_norm.cache_info()

    def segment_words(self, words: list[str]) -> list[list[str]]:
        out = []
        seg = self._segment_norm
        word_count = self._fastport.wordCount
        for word in words:
            norm, index = fold_for_segmentation_indexed(word)
            if not norm:
                out.append([word])
                continue
            if norm[-1] == YEH and word[index[-1]] in FARSI_YEHS:
                # A final Persian ی stands for Arabic ى as often as for ي (موسی = موسى):
                # take the spelling the port's lexicon knows.
                alt = norm[:-1] + ALEF_MAKSURA
                if norm not in word_count and alt in word_count:
                    norm = alt
            try:
                segs = list(seg(norm))
            except Exception as exc:  # noqa: BLE001 - a bug on one word must not fail the article
                if is_interrupt(exc):
                    raise
                # The word itself is article text: the log says only how long it was.
                log.exception("segmenting a %d-letter word failed; kept whole", len(norm))
                segs = [norm]
            out.append(to_surface(word, norm, index, segs))
        return out


class FarasaJarSegmenter:
    """Farasa's own segmenter (FarasaSegmenterJar) in one warm JVM per worker process.

    The command is farasapy's, without its constructor (which downloads); the process is
    driven by ``nlp.farasa_process`` (``jar_process``: restart once on
    death, then a clear error). Protocol: one line of space-separated
    words in, one line of space-separated ``+``-segmented words out.
    """

    name = "farasa"
    JAR = "FarasaSegmenterJar.jar"
    BATCH = 200  # words per line; farasapy warns that very long lines break interactive mode

    def __init__(self, jar: str | Path, *, cache_size: int = 200_000,
                 call_timeout: float = 60.0, startup_timeout: float = 120.0):
        from nlp.farasa_process import jar_process, jar_version
        import farasa.segmenter as farasapy_segmenter  # farasapy; explicit submodule
        self.jar = Path(jar)
        self.version = jar_version(self.jar)
        self.process = jar_process(farasapy_segmenter.FarasaSegmenter, self.jar,
                                   call_timeout=call_timeout, startup_timeout=startup_timeout)
        self._cache: dict[str, tuple[str, ...]] = {}
        self._cache_size = cache_size

    @classmethod
    def from_settings(cls) -> "FarasaJarSegmenter":
        """The jar from FARASA_SEGMENTER_JAR, FARASA_BIN_DIR, or farasapy's bin folder."""
        from nlp.farasa_process import find_jar
        import farasa.segmenter as farasapy_segmenter
        jar = find_jar("FARASA_SEGMENTER_JAR", cls.JAR,
                       bin_dirs=[farasapy_segmenter.FarasaSegmenter.bin_dir])
        return cls(jar)

    def _remember(self, norm: str, segs: tuple[str, ...]) -> None:
        if len(self._cache) >= self._cache_size:
            self._cache.pop(next(iter(self._cache)))  # oldest first (FIFO bound)
        self._cache[norm] = segs

    def _ask(self, norms: list[str]) -> None:
        for i in range(0, len(norms), self.BATCH):
            batch = norms[i:i + self.BATCH]
            answer = self.process.call(" ".join(batch)).split()
            if len(answer) != len(batch):
                # The jar tokenised differently: ask word by word.
                answer = ["+".join(self.process.call(w).split()) for w in batch]
            for norm, out in zip(batch, answer):
                self._remember(norm, tuple(x for x in out.split("+") if x))

    def segment_words(self, words: list[str]) -> list[list[str]]:
        normed = [fold_for_segmentation_indexed(w) for w in words]
        todo = list(dict.fromkeys(n for n, _ in normed if n and n not in self._cache))
        if todo:
            self._ask(todo)
        out = []
        for word, (norm, index) in zip(words, normed):
            if not norm:
                out.append([word])
                continue
            segs = self._cache.get(norm) or (norm,)
            out.append(to_surface(word, norm, index, list(segs)))
        return out

    def close(self) -> None:
        self.process.close()
