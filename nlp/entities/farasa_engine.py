"""The ``farasa`` entity engine: Farasa's NER jar (FarasaNERJar) in one warm JVM.

The command is farasapy's (``FarasaNamedEntityRecognizer.command`` for the given
``binary_path``: ``java -Dfile.encoding=UTF-8 -jar <jar>``), but farasapy's constructor
is never called (it would download ``farasa_bin.zip`` when its bin folder is incomplete
and write caches). The jar comes from ``FARASA_NER_JAR`` (or ``FARASA_BIN_DIR``, or
farasapy's own bin folder) and is never downloaded. The process itself is the shared
``nlp.farasa_process.LineProcess`` (the same one the text layer's farasa
segmenter uses): started lazily per worker process, restarted once if it dies, then a
clear ``EngineFailed``.

Protocol (interactive mode): one line of text in, one line out of space-separated
``word/TAG`` items with IOB tags over PERS/LOC/ORG (PERS -> PER here). The jar tokenises
by itself, so its words are located back in the text in order; the span of an entity
runs from its first word to its last, minus proclitics (the text layer's segments of the
token it starts in).
"""
from __future__ import annotations

from pathlib import Path

from .scoring import bio_spans

TAG_MAP = {"PERS": "PER", "PER": "PER", "LOC": "LOC", "ORG": "ORG", "MISC": "MISC"}
MAX_LINE_WORDS = 150  # farasapy warns that long lines break interactive mode


def parse_line(answer: str) -> list[tuple[str, str]]:
    """``w1/B-LOC w2/O`` -> [(w1, B-LOC), (w2, O)]; items without a tag get O."""
    out = []
    for item in answer.split():
        word, sep, tag = item.rpartition("/")
        if not sep or not word:
            out.append((item, "O"))
            continue
        prefix, _, typ = tag.partition("-")
        if prefix in ("B", "I") and typ.upper() in TAG_MAP:
            out.append((word, f"{prefix}-{TAG_MAP[typ.upper()]}"))
        else:
            out.append((word, "O"))
    return out


def align(text: str, start: int, words: list[str]) -> list[tuple[int, int] | None]:
    """Offsets of each word in text[start:], searched in order; None when not found nearby."""
    out = []
    pos = start
    for w in words:
        i = text.find(w, pos, pos + len(w) + 200)
        if i < 0:
            out.append(None)
            continue
        out.append((i, i + len(w)))
        pos = i + len(w)
    return out


class FarasaNerEngine:
    name = "farasa"
    JAR = "FarasaNERJar.jar"

    def __init__(self, jar: str | Path, *, call_timeout: float = 60.0,
                 startup_timeout: float = 180.0, process=None):
        from nlp.farasa_process import jar_process, jar_version
        self.jar = Path(jar)
        self.version = jar_version(self.jar)
        if process is None:
            import farasa.ner as farasapy_ner  # farasapy; explicit submodule
            process = jar_process(farasapy_ner.FarasaNamedEntityRecognizer, self.jar,
                                  call_timeout=call_timeout, startup_timeout=startup_timeout)
        self.process = process

    @classmethod
    def from_settings(cls) -> "FarasaNerEngine":
        from nlp.farasa_process import find_jar
        import farasa.ner as farasapy_ner
        jar = find_jar("FARASA_NER_JAR", cls.JAR,
                       bin_dirs=[farasapy_ner.FarasaNamedEntityRecognizer.bin_dir])
        return cls(jar)

    def entities(self, result: dict) -> list[dict]:
        from .model import proclitic_length, sentences_of
        from .gazetteer import load as load_gazetteer
        text = result["document"]["text"]
        tokens = result.get("tokens") or []
        gaz = load_gazetteer()
        by_start = {t["start"]: t for t in tokens}
        entities = []
        for group in sentences_of(result):
            for lo in range(0, len(group), MAX_LINE_WORDS):
                chunk = group[lo:lo + MAX_LINE_WORDS]
                start, end = tokens[chunk[0]]["start"], tokens[chunk[-1]]["end"]
                line = " ".join(text[start:end].split())
                if not line:
                    continue
                items = parse_line(self.process.call(line))
                offsets = align(text, start, [w for w, _ in items])
                tags = [t if off is not None else "O" for (_, t), off in zip(items, offsets)]
                for s, e, typ in bio_spans(tags):
                    a, b = offsets[s][0], offsets[e - 1][1]
                    tok = by_start.get(a)
                    if tok is not None:
                        a += proclitic_length(tok, gaz)
                    if a < b:
                        entities.append({"text": text[a:b], "start": a, "end": b, "type": typ})
        return entities

    def close(self) -> None:
        self.process.close()
