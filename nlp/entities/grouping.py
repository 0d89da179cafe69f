"""Group a document's entity mentions into entities, each with a canonical form.

Two mentions of one type are the same entity when
  * their letter-loose forms are equal (كيم جونغ أون / كيم جونج أون, بيونغ يانغ /
    بيونج يانج, البنتاغون / البنتاجون: g spelt غ or ج, hamza seats, ة/ه, Persian letters);
  * they are variants listed on one gazetteer line (روسيا / روسيا الاتحادية);
  * their loose forms differ by one letter and are long enough for that to be a spelling
    slip rather than another name (فوستوتشني / فوستوشني);
  * for people, one is a contiguous part of the other (a later bare كيم, or ساسو نغيسو
    of دينيس ساسو نجيسو); a part shared by several people goes to the most-mentioned.
The canonical form is the most frequent of the group's longest forms, where a mention's
form is its surface, or its citation form when the surface only implies part of it
(``form``: للولايات المتحدة -> span لولايات المتحدة, form الولايات المتحدة).
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

    # Work on distinct (type, loose form) names: a long article repeats a few names many
    # times, and every step below is linear in the number of distinct names.
    rep: dict[tuple, int] = {}
    for i, (e, k) in enumerate(zip(entities, keys)):
        j = rep.setdefault((e["type"], k), i)
        if j != i:
            union(i, j)

    # 1. Same gazetteer entry, or a one-letter slip, within a type.
    by_entry: dict[tuple, int] = {}
    by_deletion: dict[tuple, int] = {}
    for (typ, k), i in rep.items():
        eid = gaz.entry.get(k)
        if eid is not None:
            union(i, by_entry.setdefault((typ, eid), i))
        flat = " ".join(k)
        if len(flat) >= 6:
            # Two strings are one edit apart iff they share a one-deletion variant (or one
            # is a deletion of the other): index the variants instead of comparing pairs.
            variants = {flat} | {flat[:p] + flat[p + 1:] for p in range(len(flat))}
            for v in variants:
                j = by_deletion.setdefault((typ, len(k), v), i)
                if j != i and _one_edit(flat, " ".join(keys[j])):
                    union(i, j)

    # 2. People: a shorter name that is part of a longer one joins the longer one's group
    #    (the most-mentioned one when several contain it).
    person = {k: i for (typ, k), i in rep.items() if typ == "PER"}
    mentions = Counter(find(i) for i in range(len(entities)))
    holders: dict[tuple, list[int]] = {}
    for k, i in person.items():
        for n in range(1, len(k)):
            for p in range(len(k) - n + 1):
                holders.setdefault(k[p:p + n], []).append(i)
    for k, i in sorted(person.items(), key=lambda kv: len(kv[0]), reverse=True):
        cands = {find(j): j for j in holders.get(k, ())}
        cands.pop(find(i), None)
        if cands:
            # A known full name (gazetteer) is the safest anchor, then the most mentioned.
            best = max(cands, key=lambda r: (keys[cands[r]] in gaz.entry, mentions[r], -r))
            ri = find(i)
            union(i, best)
            mentions[find(i)] = mentions[ri] + mentions[best]

    # 3. Build the groups, ordered by first mention.
    members: dict[int, list[int]] = {}
    for i in sorted(range(len(entities)), key=lambda i: entities[i]["start"]):
        members.setdefault(find(i), []).append(i)
    groups = []
    for gid, idx in enumerate(sorted(members.values(), key=lambda m: entities[m[0]]["start"])):
        surfaces = [entities[i].get("form", entities[i]["text"]) for i in idx]
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
