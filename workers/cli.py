"""Command line for the whole pipeline.

    python -m workers.cli [--steps boilerplate,segmentation,entities]
                          [--engine builtin|farasa] [--html] FILE|-

prints one JSON result document, the same shape the API returns.
"""
from __future__ import annotations

import argparse
import json
import sys

from workers.pipeline import STEPS, PipelineError, enrich


def _parse_steps(value: str) -> list[str]:
    steps = [s.strip() for s in value.split(",") if s.strip()]
    unknown = [s for s in steps if s not in STEPS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown step(s) {', '.join(unknown)}; choose from {', '.join(STEPS)}")
    return steps


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m workers.cli", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", help="article file, or - for standard input")
    parser.add_argument("--steps", type=_parse_steps, default=None,
                        help="comma-separated steps (default: all available)")
    parser.add_argument("--engine", choices=("builtin", "farasa"), default=None,
                        help="engine for the segmentation and entity layers (default: builtin)")
    parser.add_argument("--html", action="store_true",
                        help="treat the input as HTML (default: guess from a leading '<')")
    parser.add_argument("--indent", type=int, default=2)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.file == "-":
        raw = sys.stdin.buffer.read()
    else:
        try:
            with open(args.file, "rb") as fh:
                raw = fh.read()
        except OSError as exc:
            print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
            return 2
    text = raw.decode("utf-8", errors="replace")
    is_html = args.html or text.lstrip().startswith("<")
    article = {"html": text} if is_html else {"text": text}
    engines = {"segmentation": args.engine, "entities": args.engine} if args.engine else None
    try:
        result = enrich(article, args.steps, engines)
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    json.dump(result, sys.stdout, ensure_ascii=False, indent=args.indent or None)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
