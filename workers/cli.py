"""Command line for the whole pipeline.

    python -m workers.cli [--steps boilerplate,segmentation,entities]
                          [--engine builtin|farasa|auto] [--html] FILE|-

prints one JSON result document, the same shape the API returns.

    python -m workers.cli --out DIR [--service URL [--api-key KEY]] FOLDER

enriches every .txt / .html / .htm file under FOLDER, in-process or through a running
service, writing DIR/<relative path>.json for each, with a progress bar.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nlp import STEPS, PipelineError, enrich


def _parse_steps(value: str) -> list[str]:
    steps = [s.strip() for s in value.split(",") if s.strip()]
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown step(s) {', '.join(unknown)}; choose from {', '.join(STEPS)}")
    return steps


def build_parser() -> argparse.ArgumentParser:
    # Installed, the command is `enrich`; in a checkout, python -m workers.cli.
    prog = "enrich" if Path(sys.argv[0]).name == "enrich" else "python -m workers.cli"
    parser = argparse.ArgumentParser(prog=prog, description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", help="article file, - for standard input, or a folder (with --out)")
    parser.add_argument("--steps", type=_parse_steps, default=None,
                        help="comma-separated steps (default: all available)")
    parser.add_argument("--engine", choices=("builtin", "farasa", "auto"), default=None,
                        help="engine for the segmentation and entity layers (default: builtin; "
                             "auto: farasa when its jars are on disk, else builtin)")
    parser.add_argument("--html", action="store_true",
                        help="treat the input as HTML (default: guess from a leading '<')")
    parser.add_argument("--indent", type=int, default=2)
    parser.add_argument("--out", type=Path, help="folder mode: where to write one JSON per file")
    parser.add_argument("--service", metavar="URL",
                        help="folder mode: go through a running service instead of in-process")
    parser.add_argument("--api-key", help="API key for --service")
    return parser


ARTICLE_SUFFIXES = (".txt", ".html", ".htm")


def _article(raw: bytes, force_html: bool, suffix: str = "") -> dict:
    text = raw.decode("utf-8", errors="replace")
    is_html = force_html or suffix in (".html", ".htm") or text.lstrip().startswith("<")
    return {"html": text} if is_html else {"text": text}


def _write(out: Path, doc: dict, indent: int) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=indent or None) + "\n",
                   encoding="utf-8")


def enrich_folder(args) -> int:
    """Folder mode: one JSON per article file; returns the number of files that failed."""
    from tqdm import tqdm

    files = sorted(p for p in args.file_path.rglob("*")
                   if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES)
    failed = 0
    target = {f: args.out / f.relative_to(args.file_path).with_suffix(".json") for f in files}
    articles = {f: {**_article(f.read_bytes(), args.html, f.suffix.lower()),
                    **({"steps": args.steps} if args.steps is not None else {})} for f in files}
    bar = tqdm(total=len(files), unit="article", file=sys.stderr)
    if args.service:
        from enrichment_client import ApiError, EnrichmentClient

        client = EnrichmentClient(args.service, api_key=args.api_key)
        jobs = {f: client.submit(**articles[f]) for f in files}
        for f, job in jobs.items():
            try:
                _write(target[f], client.wait(job, timeout=600)["result"], args.indent)
            except (ApiError, TimeoutError) as exc:
                failed += 1
                tqdm.write(f"{f}: {exc}", file=sys.stderr)
            bar.update()
    else:
        engines = _engines(args)
        for f in files:
            article = dict(articles[f])
            steps = article.pop("steps", None)
            try:
                _write(target[f], enrich(article, steps, engines), args.indent)
            except PipelineError as exc:
                failed += 1
                tqdm.write(f"{f}: {exc}", file=sys.stderr)
            bar.update()
    bar.close()
    print(f"{len(files) - failed} enriched, {failed} failed -> {args.out}", file=sys.stderr)
    return failed


def _engines(args) -> dict | None:
    return {"segmentation": args.engine, "entities": args.engine} if args.engine else None


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.file_path = Path(args.file)
    if args.file != "-" and args.file_path.is_dir():
        if args.out is None:
            parser.error("a folder needs --out DIR")
        return 1 if enrich_folder(args) else 0
    if args.service or args.out:
        parser.error("--out and --service go with a folder")
    if args.file == "-":
        raw = sys.stdin.buffer.read()
    else:
        try:
            with open(args.file, "rb") as fh:
                raw = fh.read()
        except OSError as exc:
            print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
            return 2
    article = _article(raw, args.html, Path(args.file).suffix.lower())
    try:
        result = enrich(article, args.steps, _engines(args))
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    json.dump(result, sys.stdout, ensure_ascii=False, indent=args.indent or None)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
