"""The builtin entity engine: the committed CRF over the text layer's tokens.

Tagging runs sentence by sentence (long sentences in windows, so a 5,000-word line costs
the same per word as short ones), then a document-level pass makes the tags consistent:
a name tagged once is tagged in its other mentions. Spans never include a proclitic.
"""
from __future__ import annotations

import hashlib
import json
import re
import sys
import threading
from collections import Counter, defaultdict
from pathlib import Path

from nlp.arabic import NAME_LETTERS, PROCLITIC_LETTERS

from . import features as F
from .gazetteer import load as load_gazetteer
from .normalise import loose, norm

ROOT = Path(__file__).resolve().parents[2]
# A checkout has models/ at its top; an installed copy (pip install .) has it under
# <prefix>/share/arabic-news-enrichment/ (pyproject.toml's data-files).
MODELS = ROOT / "models" if (ROOT / "models").is_dir() else \
    Path(sys.prefix) / "share" / "arabic-news-enrichment" / "models"
MODEL_PATH = MODELS / "ner-crf.crfsuite"
CARD_PATH = MODELS / "ner-crf.card.json"

MAX_WINDOW = 120       # tokens per CRF call; longer runs are cut with overlap
_OVERLAP = 20
_NAME_KINDS = {"word", "latin", "number"}
_ARABIC = re.compile(f"[{NAME_LETTERS}]")


def decode_tags(tags: list[str]) -> list[str]:
    """Repair BIO: an I- that does not continue a span of its type becomes B-."""
    out = []
    prev = "O"
    for t in tags:
        if t.startswith("I-") and prev[2:] != t[2:]:
            t = "B-" + t[2:]
        out.append(t)
        prev = t
    return out


def gazetteer_repair(words: list[str], tags: list[str], gaz, *, fill: bool = False,
                     matches=None) -> list[str]:
    """Make the CRF's spans agree with whole gazetteer names of one type.

    * two or more predicted spans lying inside one gazetteer name (جمهورية كوريا |
      الشعبية الديمقراطية) become that one name (a single span is left alone: ANERcorp
      tags حماس in حركة حماس, and so does the CRF);
    * a predicted span exactly tiled by two or more gazetteer names (البنتاغون موسكو) is
      split into them;
    * with ``fill``, a gazetteer name the CRF left untagged is tagged.
    """
    from .scoring import bio_spans
    matches = [(s, e, next(iter(t))) for s, e, t in
               (gaz.match(words) if matches is None else matches) if len(t) == 1]
    if not matches:
        return tags
    spans = bio_spans(tags)
    out = list(tags)

    def put(s, e, t):
        for k in range(s, e):
            out[k] = ("B-" if k == s else "I-") + t

    # Index the names by token so each span/name only meets its neighbours (linear time
    # on a 5,000-word line).
    match_at = {}
    for m in matches:
        match_at.setdefault(m[0], m)
    for a, b, _ in spans:
        inside, k = [], a
        while k < b and k in match_at and match_at[k][1] <= b:
            inside.append(match_at[k])
            k = match_at[k][1]
        if len(inside) >= 2 and k == b:
            for s, e, t in inside:
                put(s, e, t)
    spans = bio_spans(out)
    span_at = {}
    for sp in spans:
        for k in range(sp[0], sp[1]):
            span_at[k] = sp
    for s, e, t in matches:
        over = list(dict.fromkeys(span_at[k] for k in range(s, e) if k in span_at))
        if len(over) > 1 and all(a >= s and b <= e for a, b, _ in over):
            put(s, e, t)
        elif not over and fill:
            put(s, e, t)
    return out


class CrfTagger:
    """The committed model (models/ner-crf.crfsuite), loaded once per process."""

    name = "builtin-crf"

    def __init__(self, path: Path | str = MODEL_PATH):
        import pycrfsuite
        self.path = Path(path)
        if not self.path.exists():
            raise FileNotFoundError(f"entity model not found: {self.path}")
        self._tagger = pycrfsuite.Tagger()
        self._tagger.open(str(self.path))
        self._lock = threading.Lock()  # a crfsuite Tagger is not safe across threads
        digest = hashlib.sha256(self.path.read_bytes()).hexdigest()[:12]
        try:
            card = json.loads(self.path.with_name(self.path.stem + ".card.json").read_text())
            fs = card.get("features", {}).get("version", F.FEATURE_SET_VERSION)
        except (OSError, ValueError):
            fs = F.FEATURE_SET_VERSION
        self.version = f"{self.path.name} sha256:{digest} ({fs})"
        self.gaz = load_gazetteer()

    def tag_sentence(self, sentence: list[tuple[str, list[str]]]) -> list[str]:
        if not sentence:
            return []
        words = [w for w, _ in sentence]
        if len(sentence) <= MAX_WINDOW:
            # One window: the features and the repair read the same gazetteer matches.
            matches = self.gaz.match(words)
            tags = decode_tags(self._tag(sentence, matches))
            return gazetteer_repair(words, tags, self.gaz, matches=matches)
        return gazetteer_repair(words, self._tag_crf(sentence), self.gaz)

    def _tag_crf(self, sentence):
        # Windows with overlap; each window's middle is kept, so boundaries see context.
        tags: list[str] = []
        step = MAX_WINDOW - 2 * _OVERLAP
        start = 0
        while start < len(sentence):
            lo = max(0, start - _OVERLAP)
            hi = min(len(sentence), start + step + _OVERLAP)
            window = self._tag(sentence[lo:hi])
            tags.extend(window[start - lo: min(start + step, len(sentence)) - lo])
            start += step
        return decode_tags(tags)

    def _tag(self, sentence, matches=None):
        xs = F.sentence_features(sentence, self.gaz, matches)
        with self._lock:
            return self._tagger.tag(xs)


_TAGGER: CrfTagger | None = None
_TAGGER_LOCK = threading.Lock()


def get_tagger() -> CrfTagger:
    global _TAGGER
    with _TAGGER_LOCK:
        if _TAGGER is None:
            _TAGGER = CrfTagger()
        return _TAGGER


def sentences_of(result: dict) -> list[list[int]]:
    """Token indices of each sentence (tokens outside every sentence form their own)."""
    tokens = result.get("tokens") or []
    sents = result.get("sentences") or []
    groups: list[list[int]] = []
    si = 0
    cur: list[int] = []
    cur_sent = None
    for i, tok in enumerate(tokens):
        while si < len(sents) and sents[si]["end"] <= tok["start"]:
            si += 1
        in_sent = si if si < len(sents) and sents[si]["start"] <= tok["start"] else None
        if cur and (in_sent != cur_sent or in_sent is None and _is_break(tokens, i)):
            groups.append(cur)
            cur = []
        cur_sent = in_sent
        cur.append(i)
    if cur:
        groups.append(cur)
    return groups


def _is_break(tokens, i) -> bool:
    return tokens[i - 1]["text"] in ".!?؟\n"


def segment_cut(token: dict) -> int:
    """Length of the proclitic segments (و، ف، ب، ل، ك، س) the text layer found on a token."""
    segs = token.get("segments") or [token["text"]]
    cut = 0
    for s in segs[:-1]:
        if s and norm(s) in F.PROCLITIC_SEGMENTS and set(norm(s)) <= PROCLITIC_LETTERS:
            cut += len(s)
        else:
            break
    # ل+ال (للولايات): the article's lam is the surface's second lam; cut only the first.
    return min(cut, len(token["text"]) - 1)


def proclitic_length(token: dict, gaz, known: set[str] = frozenset()) -> int:
    """How many leading characters of a name's first token are proclitics (و، ب، ل ...).

    The text layer's segments say where the proclitics end; but the shortest cut whose
    rest is a known name word (a gazetteer name's first word, a person cue, or the first
    word of a mention elsewhere in the document written without proclitic) wins, so a
    segmenter slip such as وبيونج -> و+ب+يونج does not eat a name's first letter.
    """
    cut = segment_cut(token)
    if cut <= 0:
        return 0
    text = token["text"]
    for k in range(0, cut):
        rest = loose(text[k:])
        if rest in gaz.first_words or rest in gaz.given or rest in known:
            return k
    return cut


def tag_document(result: dict, tagger: CrfTagger | None = None) -> list[dict]:
    """Entities of result (needs result["tokens"]): dicts text/start/end/type."""
    tagger = tagger or get_tagger()
    tokens = result.get("tokens") or []
    text = result["document"]["text"]
    tags = ["O"] * len(tokens)
    for group in sentences_of(result):
        if not any(_ARABIC.search(tokens[i]["text"]) for i in group):
            continue  # the model knows Arabic news only: no guesses on other scripts
        sent = [(tokens[i]["text"], tokens[i].get("segments") or [tokens[i]["text"]]) for i in group]
        for i, t in zip(group, tagger.tag_sentence(sent)):
            tags[i] = t
    tags = consistent_tags(tokens, tags, tagger.gaz)
    spans = _spans(tags)
    known = {loose(tokens[s]["text"]) for s, _, _ in spans if segment_cut(tokens[s]) == 0}
    entities = []
    for s, e, typ in spans:
        # An entity starts and ends on an Arabic word (a Latin word after a name, as in
        # "مجلة وفاء wafaamagazine", is not part of it).
        while s < e and not _ARABIC.search(tokens[s]["text"]):
            s += 1
        while e > s and not _ARABIC.search(tokens[e - 1]["text"]):
            e -= 1
        if s >= e:
            continue
        start = tokens[s]["start"] + proclitic_length(tokens[s], tagger.gaz, known)
        end = tokens[e - 1]["end"]
        if start >= end:
            continue
        mention = {"text": text[start:end], "start": start, "end": end, "type": typ}
        first = loose(text[start:tokens[s]["end"]])
        if (_article_lam_left(tokens[s], start)
                and first not in tagger.gaz.first_words and first not in known):
            # ل+ال written لل (للولايات): the span starts at the article's lam, and its
            # alef is only implied; the citation form (for grouping) gives it back --
            # unless the surface reading is itself a known name (للبنان is ل+لبنان).
            mention["form"] = "ا" + mention["text"]
        entities.append(mention)
    return entities


def _article_lam_left(token: dict, start: int) -> bool:
    """Does a span starting at ``start`` in ``token`` begin with the lam of an ال whose
    alef the surface dropped after the preposition ل (ل+ال -> لل)?"""
    segs = [norm(x) for x in token.get("segments") or []]
    cut = start - token["start"]
    return (cut > 0 and len(segs) >= 2 and segs[:2] == ["ل", "ال"]
            and token["text"][cut - 1:cut + 1] == "لل")


def _spans(tags):
    from .scoring import bio_spans
    return bio_spans(tags)


def _mention_key(tokens, s, e, gaz) -> tuple[str, ...]:
    first = tokens[s]["text"][proclitic_length(tokens[s], gaz):]
    return (loose(first), *(loose(tokens[k]["text"]) for k in range(s + 1, e)))


def _word_key(token: dict) -> str:
    return loose(token["text"][segment_cut(token):])


def split_joined_people(tokens: list[dict], tags: list[str], gaz) -> list[str]:
    """Two people side by side read as one (كيم بوتين, كيم لبوتين): split a two-word person
    span met only once when each of its words is, elsewhere in the document, a one-word
    person mention."""
    spans = [sp for sp in _spans(tags) if sp[2] == "PER"]
    # word -> the distinct person names (loose keys) it is the whole, first or last word of
    ends: dict[str, set] = defaultdict(set)
    keys = {}
    for s, e, _ in spans:
        key = tuple(_word_key(tokens[k]) for k in range(s, e))
        keys[s] = key
        ends[key[0]].add(key)
        ends[key[-1]].add(key)
    seen = Counter(tuple(loose(tokens[k]["text"]) for k in range(s, e)) for s, e, _ in spans)
    out = tags
    for s, e, _ in spans:
        if e - s == 2:
            key = keys[s]
            a, b = key
            # a two-word name met more than once is a real name (عبدالله صالح), not a slip
            raw = (loose(tokens[s]["text"]), loose(tokens[s + 1]["text"]))
            if seen[raw] == 1 and a != b and (a,) in ends[a] and (b,) in ends[b]:
                out = list(out) if out is tags else out
                out[s + 1] = "B-PER"
    return out


def consistent_tags(tokens: list[dict], tags: list[str], gaz) -> list[str]:
    """Document-level pass over the CRF's tags.

    * a name tagged with different types takes its majority type everywhere;
    * a name tagged somewhere is tagged wherever else it occurs untagged, and so is the
      first or last word of a multi-word person name on its own (كيم of كيم جونغ أون,
      رايدر of بات رايدر) — but only while the untagged occurrences do not outnumber the
      tagged ones more than twice: a word found untagged all over the document is an
      ordinary word that happens to be a name once (على / علي, أمل).
    """
    tags = split_joined_people(tokens, tags, gaz)
    spans = _spans(tags)
    votes: dict[tuple[str, ...], Counter] = defaultdict(Counter)
    for s, e, typ in spans:
        votes[_mention_key(tokens, s, e, gaz)][typ] += 1
    if not votes:
        return tags
    support = Counter({k: sum(c.values()) for k, c in votes.items()})
    for s, e, typ in spans:
        if typ == "PER" and e - s >= 2:
            for k in (s, e - 1):
                part = _mention_key(tokens, k, k + 1, gaz) if k == s else (loose(tokens[k]["text"]),)
                if len(part[0]) >= 3 and norm(tokens[k]["text"]) not in F.TRIGGERS:
                    if part not in votes:
                        votes[part]["PER"] += 0
                    support[part] += 1
    out = list(tags)
    for s, e, typ in spans:
        best = votes[_mention_key(tokens, s, e, gaz)].most_common(1)[0][0]
        if best != typ:
            for k in range(s, e):
                out[k] = ("B-" if k == s else "I-") + best
    by_first: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for key in votes:
        by_first[key[0]].append(key)
    for keys in by_first.values():
        keys.sort(key=len, reverse=True)
    # Find the untagged occurrences first, then decide per name.
    found: list[tuple[int, int, tuple[str, ...]]] = []
    n = len(tokens)
    i = 0
    while i < n:
        if out[i] != "O" or tokens[i].get("kind") not in _NAME_KINDS:
            i += 1
            continue
        forms = [loose(tokens[i]["text"])]
        cut = segment_cut(tokens[i])
        if cut:
            forms.append(loose(tokens[i]["text"][cut:]))
        hit = None
        for form in forms:
            for key in by_first.get(form, ()):
                e = i + len(key)
                if e <= n and all(out[k] == "O" for k in range(i + 1, e)) and all(
                        loose(tokens[i + m]["text"]) == key[m] for m in range(1, len(key))):
                    hit = (i, e, key)
                    break
            if hit:
                break
        if hit:
            found.append(hit)
            i = hit[1]
        else:
            i += 1
    untagged = Counter(key for _, _, key in found)
    for s, e, key in found:
        if untagged[key] <= 2 * support[key]:
            typ = votes[key].most_common(1)[0][0]
            for k in range(s, e):
                out[k] = ("B-" if k == s else "I-") + typ
    return out
