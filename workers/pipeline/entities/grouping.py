"""Group a document's entity mentions into entities, each with a canonical form.

Two mentions of one type are the same entity when
  * their letter-loose forms are equal (كيم جونغ أون / كيم جونج أون, بيونغ يانغ /
    بيونج يانج, البنتاغون / البنتاجون: g spelt غ or ج, hamza seats, ة/ه, Persian letters);
  * they are variants listed on one gazetteer line (روسيا / روسيا الاتحادية);
  * their loose forms differ by one letter and are long enough for that to be a spelling
    slip rather than another name (فوستوتشني / فوستوشني);
  * for people, one is a contiguous part of the other (a later bare كيم, or ساسو نغيسو
    of دينيس ساسو نجيسو); a part shared by several people goes to the most-mentioned.
The canonical form is the most frequent of the group's longest surface forms.
"""
from __future__ import annotations

from collections import Counter

from .gazetteer import Gazetteer, load as load_gazetteer
from .normalise import loose


def _one_edit(a: str, b: str) -> bool:
    """Are a and b at Levenshtein distance exactly 1?"""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1:] == b[i + 1:]
    return a[i:] == b[i + 1:]


def _contains(longer: tuple, shorter: tuple) -> bool:
    n = len(shorter)
    return any(longer[i:i + n] == shorter for i in range(len(longer) - n + 1))


def group(entities: list[dict], gaz: Gazetteer | None = None) -> list[dict]:
    """Set ``entity`` (group id) on every mention and return the groups.

    Group ids are 0-based positions in the returned list, ordered by first mention.
    """
    gaz = gaz or load_gazetteer()
    keys = [tuple(loose(w) for w in e["text"].split()) for e in entities]
    parent = list(range(len(entities)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i, j):
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)

    # 1. Same loose form / same gazetteer entry / one-letter slip, within a type.
    first_of: dict[tuple, int] = {}
    for i, (e, k) in enumerate(zip(entities, keys)):
        eid = gaz.entry.get(k)
        for token in ((e["type"], k), (e["type"], "gaz", eid) if eid is not None else None):
            if token is None:
                continue
            if token in first_of:
                union(i, first_of[token])
            else:
                first_of[token] = i
    distinct = {}
    for i, (e, k) in enumerate(zip(entities, keys)):
        distinct.setdefault((e["type"], k), i)
    items = list(distinct.items())
    for a in range(len(items)):
        (ta, ka), ia = items[a]
        sa = " ".join(ka)
        for b in range(a + 1, len(items)):
            (tb, kb), ib = items[b]
            if ta == tb and len(ka) == len(kb) and min(len(sa), len(" ".join(kb))) >= 6 \
                    and _one_edit(sa, " ".join(kb)):
                union(ia, ib)

    # 2. People: a shorter name that is part of a longer one joins the longer one's group.
    counts = Counter(find(i) for i in range(len(entities)))
    person = [i for i, e in enumerate(entities) if e["type"] == "PER"]
    for i in person:
        best = None
        for j in person:
            if len(keys[j]) > len(keys[i]) and _contains(keys[j], keys[i]):
                rj = find(j)
                if best is None or counts[rj] > counts[best] or (
                        counts[rj] == counts[best] and rj < best):
                    best = rj
        if best is not None and find(i) != best:
            union(i, best)
            counts = Counter(find(k) for k in range(len(entities)))

    # 3. Build the groups, ordered by first mention.
    members: dict[int, list[int]] = {}
    for i in sorted(range(len(entities)), key=lambda i: entities[i]["start"]):
        members.setdefault(find(i), []).append(i)
    groups = []
    for gid, idx in enumerate(sorted(members.values(), key=lambda m: entities[m[0]]["start"])):
        surfaces = [entities[i]["text"] for i in idx]
        freq = Counter(surfaces)
        longest = max(len(s.split()) for s in surfaces)
        canonical = max((s for s in freq if len(s.split()) == longest),
                        key=lambda s: (freq[s], -surfaces.index(s)))
        types = Counter(entities[i]["type"] for i in idx)
        for i in idx:
            entities[i]["entity"] = gid
        groups.append({
            "id": gid,
            "type": types.most_common(1)[0][0],
            "canonical": canonical,
            "variants": list(dict.fromkeys(surfaces)),
            "mentions": len(idx),
            "first_start": entities[idx[0]]["start"],
        })
    return groups
