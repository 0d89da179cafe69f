"""A faster, bounded-memory re-implementation of the Farasa port's word segmenter.

Same algorithm and the same data as ``farasa.segmentation.mostLikelyPartition`` (PyPI
``Farasa``), giving the same scores and therefore the same answers (checked by
tests/test_text_segmentation.py against the port itself), but:

* the template fit of a stem is memoised in a bounded LRU cache, because the same stems
  recur across the candidates of a word and across words (measured on ANERcorp's 27.5k
  word types: a third of the calls hit; memoising the proper segmentation and the triple
  score was tried and dropped, under 0.2% of their calls hit);
* the port's 18 weights are parsed once, not on every call;
* the port's own caches (``hmSeenBefore`` grows with every new word; ``fitTemplate``'s
  dict grows with every stem) are never written.
"""
from __future__ import annotations

import math
import re
from functools import lru_cache

import farasa.fitTemplateClass as _ft  # PyPI "Farasa" port; explicit submodules (see docs)
import farasa.segmentation as _port

_MAGIC = [float(m.split(":", 1)[1]) for m in (
    "1:-0.097825818 2:-0.03893654 3:0.13109569 4:0.18436976 5:0.11448806 6:0.53001714 "
    "7:0.21098258 8:-0.17760228 9:0.44223878 10:0.26183113 11:-0.05603376 12:0.055829503 "
    "13:-0.17745291 14:0.015865559 15:0.66909122 16:0.16948195 17:0.15397599 18:0.60355717"
).split()]

hPrefixes = _port.hPrefixes
hSuffixes = _port.hSuffixes
probPrefixes = _port.probPrefixes
probSuffixes = _port.probSuffixes
probPrefixSuffix = _port.probPrefixSuffix
probSuffixPrefix = _port.probSuffixPrefix
probCondPrefixes = _port.probCondPrefixes
probCondSuffixes = _port.probCondSuffixes
wordCount = _port.wordCount
hmListMorph = _port.hmListMorph
hmListGaz = _port.hmListGaz
hmAraLexCom = _port.hmAraLexCom
hmBuck = _port.hmBuck
hmLocations = _port.hmLocations
hmPeople = _port.hmPeople
hmStop = _port.hmStop
hmTemplateCount = _port.hmTemplateCount
hmPreviouslySeenTokenizations = _port.hmPreviouslySeenTokenizations
generalVariables = _port.generalVariables
hmSeenBefore = _port.hmSeenBefore  # read only: the port's preloaded word -> segmentation

_LOG_HAS_TEMPLATE = math.log(generalVariables.get("hasTemplate"))
_LOG_NO_TEMPLATE = math.log(1 - generalVariables.get("hasTemplate"))
_LOG_IN_MORPH = math.log(generalVariables.get("inMorphList"))
_LOG_NOT_IN_MORPH = math.log(1 - generalVariables.get("inMorphList"))
_LOG_IN_GAZ = math.log(generalVariables.get("inGazList"))
_LOG_NOT_IN_GAZ = math.log(1 - generalVariables.get("inGazList"))
_AVG_STEM = generalVariables.get("averageStemLength")

# Logarithms of the port's (small) probability tables, computed once: math.log of the
# same float gives the same value, so scores stay identical.
_LOG_PREFIX = {k: math.log(v) for k, v in probPrefixes.items()}
_LOG_SUFFIX = {k: math.log(v) for k, v in probSuffixes.items()}
_LOG_COND_PREFIX = {k: math.log(v) for k, v in probCondPrefixes.items()}
_LOG_COND_SUFFIX = {k: math.log(v) for k, v in probCondSuffixes.items()}
_LOG_PREFIX_SUFFIX = {k: {k2: math.log(v2) for k2, v2 in v.items()}
                      for k, v in probPrefixSuffix.items()}
_LOG_SUFFIX_PREFIX = {k: {k2: math.log(v2) for k2, v2 in v.items()}
                      for k, v in probSuffixPrefix.items()}
_LOG_TEMPLATE_COUNT = {k: math.log(v) for k, v in hmTemplateCount.items()}

_SIN_START = re.compile("^[ينأت].*")
_ALEFS = re.compile("[\u0623\u0622\u0625]")
_HAMZA_WY = re.compile("[\u0624\u0626]")
_TD = re.compile("[\u0637\u062F]$")
_utf82buck = _ft.utilities.utf82buck
_buck2morph = _ft.utilities.buck2morph
_hmRoot = _ft.hmRoot
_hmTemplate = _ft.hmTemplate
_TEMPLATES = _ft.Templates

CACHE_SIZE = 100_000  # per memo; entries are short strings


def _fitStemTemplate(stem: str) -> str:
    """farasa.fitTemplateClass.fitStemTemplate, same result, one template examined.

    The port loops over every template of the stem's length but keeps only the
    variables of the last iteration (root, broken, and the template ``s`` itself), so
    only the last template can ever be returned; we examine just that one.
    """
    length = len(stem)
    if length not in _TEMPLATES:
        return "Y"
    if length == 2:
        if _buck2morph(stem + stem[1:]) in _hmRoot:
            return "fE"
        return "Y"
    s = _TEMPLATES[length][-1]
    root = ""
    lastF = -1
    lastL = -1
    broken = False
    for i, ch in enumerate(s):
        if ch == "f":
            root += ch
        elif ch == "E":
            if lastF == -1:
                root += stem[i:i + 1]
                lastF = i
            elif stem[i:i + 1] != stem[lastF:lastF + 1]:
                broken = True
                break
        elif ch == "l":
            if lastL == -1:
                root += stem[i:i + 1]
                lastL = i
            elif stem[i:i + 1] != stem[lastL:lastL + 1]:
                broken = True
                break
        elif ch == "C":
            root += stem[i:i + 1]
        elif stem[i:i + 1] != s[i:i + 1]:
            broken = True
            break
    if broken:
        return "Y"
    root = _buck2morph(root)
    template = []
    if root in _hmRoot:
        template.append((s, root))
    else:
        for j, ch in enumerate(root):
            if ch == "y" or ch == "A" or ch == "w":
                head = root[:j]
                tail = root[j + 1:]
                for alt in (head + "w" + tail, head + "y" + tail, head + "A" + tail):
                    if alt in _hmRoot:
                        template.append((s, alt))
    if not template:
        return "Y"
    # getBestTemplate over the templates without 'C' if any, else all of them
    without_c = [t for t in template if "C" not in t[0] + "/" + t[1]]
    best_score = 0
    best = ""
    for tpl, r in (without_c or template):
        score = _hmRoot[r] * _hmTemplate[tpl]
        if best_score < score:
            best_score = score
            best = tpl
    return best


@lru_cache(maxsize=CACHE_SIZE)
def fit_template(line: str) -> str:
    """farasa.fitTemplateClass.fitTemplate without its unbounded write-only cache."""
    tmp = _fitStemTemplate(_utf82buck(line))
    if 'Y' in tmp and line.endswith(('\u0629', '\u064a')):
        tmp = _fitStemTemplate(_utf82buck(line[:-1]))
    if 'Y' in tmp and line.endswith('\u064a\u0629'):
        tmp = _fitStemTemplate(_utf82buck(line[:-2]))
    if 'Y' in tmp and line.endswith("\u0649"):
        tmp = _fitStemTemplate(_utf82buck(line[:-1] + "\u064a"))
    if 'Y' in tmp and _ALEFS.search(line):
        tmp = _fitStemTemplate(_utf82buck(_ALEFS.sub('\u0627', line)))
    if 'Y' in tmp and len(line) > 1:
        tmp = _fitStemTemplate(_utf82buck(line + line[-1:]))
    if 'Y' in tmp and line.startswith("\u0627\u062A"):
        tmp = _fitStemTemplate(_utf82buck(line[:1] + "\u0648" + line[1:]))
    if 'Y' in tmp and len(line) >= 5 and _TD.match(line[2:3]):
        potential = _fitStemTemplate(_utf82buck(line[:2] + "\u062A" + line[3:]))
        if len(potential) > 3 and potential[2:3] == "t":
            tmp = potential
    if 'Y' in tmp and "\u0622" in line:
        tmp = _fitStemTemplate(_utf82buck(line.replace("\u0622", "\u0623\u0627")))
    if 'Y' in tmp and _HAMZA_WY.search(line):
        tmp = _fitStemTemplate(_utf82buck(line.replace("\u0626", "\u0621").replace("\u0624", "\u0621")))
    return tmp


def proper_segmentation(some_string: str) -> str:
    """farasa.segmentation.getProperSegmentation (pure)."""
    return _proper_parts(tuple(some_string.split('+')))


def _proper_parts(word: tuple[str, ...]) -> str:
    """The proper segmentation of a partition given as its parts (no join/split)."""
    n = len(word)
    if n == 1:
        return f';{word[0]};'
    ip = -1
    while ip + 1 < n and word[ip + 1] in hPrefixes:
        ip += 1
    isuf = n
    floor = ip if ip > 0 else 0
    while isuf > floor and (word[isuf - 1] in hSuffixes or word[isuf - 1] == "_"):
        isuf -= 1
    prefix = "+".join(word[:ip + 1]) + "+" if ip >= 0 else ""
    stem = "".join(word[ip + 1:isuf])
    if isuf == ip:
        isuf += 1
    suffix = "+" + "+".join(word[isuf:]) if isuf < n else ""
    if suffix.endswith('\u0633+') and not _SIN_START.match(stem):
        prefix = prefix[:-2]
        stem = '\u0633' + stem
    output = prefix + ';' + stem + ';' + suffix
    if output.startswith('+'):
        output = output[1:]
    if output.endswith('+'):
        output = output[:-1]
    return output.replace('++', '+')


def _partitions(s: str) -> list[str]:
    """farasa.segmentation.getAllPossiblePartitionsOfString: same list, same order.

    The port builds comma-joined strings and re-parses them at every step of its
    merge-adjacent-parts recursion; we keep the parts as tuples and memoise the proper
    segmentation of each tuple for the duration of one word.
    """
    if len(s) > 20:
        return [s]
    s = s.strip()
    output: list[str] = []
    if not s:
        return output
    chars = tuple(s)
    full = _proper_parts(chars)
    parts = (" " + full + " ").split(";")
    seen: set[str] = set()
    if len(parts[1]) != 1 or len(s) == 1:
        output.append(full)
        seen.add(full)
    if len(chars) > 1:
        _sub_partitions(chars, output, seen, {})
    return output


def _sub_partitions(parts: tuple[str, ...], output: list[str], seen: set[str],
                    memo: dict) -> None:
    for i in range(len(parts) - 1):
        merged = parts[:i] + (parts[i] + parts[i + 1],) + parts[i + 2:]
        proper = memo.get(merged)
        if proper is None:
            proper = memo[merged] = _proper_parts(merged)
        if proper not in seen:
            seen.add(proper)
            output.append(proper)
            if len(merged) > 1:
                _sub_partitions(merged, output, seen, memo)


def score_triple(prefix: str, stem: str, suffix: str) -> float:
    """farasa.segmentation.scorePartition for stripped (prefix, stem, suffix).

    Same features, same weights, same order of additions as the port (so the same
    float), with table lookups done once and logarithms precomputed.
    """
    M = _MAGIC
    wc = wordCount
    score = 0
    lp = _LOG_PREFIX.get(prefix)
    score += M[0] * (lp if lp is not None else -10)
    ls = _LOG_SUFFIX.get(suffix)
    score += M[1] * (ls if ls is not None else -10)
    trimmedTemp = suffix.replace("+", "").replace(";", "").replace(",", "")
    altStem = ""
    if trimmedTemp.startswith('\u062A') and len(trimmedTemp) > 1:
        altStem = stem + '\u0629'
    stem_count = wc.get(stem)
    stemWordCount = -10
    if stem_count is not None:
        stemWordCount = stem_count
    elif len(altStem) > 1 and altStem in wc:
        stemWordCount = wc[altStem]
    score += M[2] * stemWordCount
    d = _LOG_PREFIX_SUFFIX.get(prefix)
    v = d.get(suffix) if d is not None else None
    score += M[3] * (v if v is not None else -20)
    d = _LOG_SUFFIX_PREFIX.get(suffix)
    v = d.get(prefix) if d is not None else None
    score += M[4] * (v if v is not None else -20)
    template = fit_template(stem)
    score += M[5] * (_LOG_HAS_TEMPLATE if template != "Y" else _LOG_NO_TEMPLATE)
    yaa_alef = stem.endswith('\u064A')
    stem_alef = stem[:-1] + '\u0649' if yaa_alef else None
    if stem in hmListMorph or (yaa_alef and stem_alef in hmListMorph):
        score += M[6] * _LOG_IN_MORPH
    else:
        score += M[6] * _LOG_NOT_IN_MORPH
    if stem in hmListGaz or (yaa_alef and stem_alef in hmListGaz):
        score += M[7] * _LOG_IN_GAZ
    else:
        score += M[7] * _LOG_NOT_IN_GAZ
    v = _LOG_COND_PREFIX.get(prefix)
    score += M[8] * (v if v is not None else -20)
    v = _LOG_COND_SUFFIX.get(suffix)
    score += M[9] * (v if v is not None else -20)
    cut = suffix.find("+", 1)
    stemPlusFirstSuffix = stem + (suffix[1:cut] if cut > 0 else suffix)
    stemWordCount = -10
    v = wc.get(stemPlusFirstSuffix)
    if v is not None:
        stemWordCount = v
    elif yaa_alef and stem_alef in wc:
        stemWordCount = wc[stem_alef]
    elif stemPlusFirstSuffix.endswith('\u062A') and stemPlusFirstSuffix[:-1] + '\u0629' in wc:
        stemWordCount = wc[stemPlusFirstSuffix[:-1] + '\u0629']
    score += M[10] * stemWordCount
    v = _LOG_TEMPLATE_COUNT.get(template)
    score += M[11] * (v if v is not None else -10)
    score += M[12] * math.log(abs(len(stem) - _AVG_STEM))
    if stem in hmAraLexCom:
        score += M[13] * (stem_count if stem_count is not None else -10)
    elif yaa_alef and stem_alef in hmAraLexCom:
        v = wc.get(stem_alef)
        score += M[13] * (v if v is not None else -10)
    elif len(altStem.strip()) > 0 and altStem in hmAraLexCom:
        v = wc.get(altStem)
        score += M[13] * (v if v is not None else -10)
    else:
        score += M[13] * -20
    if stem in hmBuck or (yaa_alef and stem_alef in hmBuck):
        score += M[14]
    else:
        score += -1 * M[14]
    score += M[15] if stem in hmLocations else -1 * M[15]
    score += M[16] if stem in hmPeople else -1 * M[16]
    if stem in hmStop or (yaa_alef and stem_alef in hmStop):
        score += M[17]
    else:
        score += -1 * M[17]
    return score


def _score_parts(pp: str) -> float:
    parts = (" " + pp + " ").split(";")
    return score_triple(parts[0].strip(), parts[1].strip(), parts[2].strip())


def most_likely_partitions(word: str, n: int = 3) -> list[tuple[float, str]]:
    """farasa.segmentation.mostLikelyPartition: the top ``n`` (score, 'pre;stem;suf')."""
    word = word.strip()
    possible = _partitions(word)
    if word.startswith("\u0644\u0644"):
        possible.extend(_partitions("\u0644\u0627\u0644" + word[2:]))
    elif word.startswith("\u0648\u0644\u0644"):
        possible.extend(_partitions("\u0648\u0644\u0627\u0644" + word[3:]))
    elif word.startswith("\u0641\u0644\u0644"):
        possible.extend(_partitions("\u0641\u0644\u0627\u0644" + word[3:]))
    scores: dict[float, str] = {}
    previously = hmPreviouslySeenTokenizations.get(word.replace("+", ""))
    if previously is not None:
        for p in previously:
            pp = proper_segmentation(p.replace(";", ""))
            score = _score_parts(pp)
            while score in scores:
                score -= 0.00001
            scores[score] = pp
    else:
        for p in possible:
            pp = proper_segmentation(p.replace(";", ""))
            if pp.count(";") == 2:
                score = _score_parts(pp)
                while score in scores:
                    score -= 0.00001
                scores[score] = pp
    return sorted(scores.items(), key=lambda kv: kv[0], reverse=True)[:n]


def clean(solution: str) -> tuple[str, ...]:
    """A 'pre+;stem;+suf' solution as the port's segmentLine writes it, split in segments."""
    sol = solution.replace(";", "").replace("++", "+")
    if sol.startswith("+"):
        sol = sol[1:]
    if sol.endswith("+"):
        sol = sol[:-1]
    return tuple(s for s in sol.split("+") if s)


def segment_key(key: str) -> tuple[str, ...]:
    """The port's answer for one tokenised word (``لل`` already rewritten to ``لال``)."""
    seen = hmSeenBefore.get(key)
    if seen is not None:
        return clean(seen)
    solutions = most_likely_partitions(key, 1)
    return clean(solutions[0][1] if solutions else key)
