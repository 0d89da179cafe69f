"""API keys from the command line.

    python -m service.keys new [--id newsroom]   # a new key (give it to the client) and the
                                                 # line to add to API_KEYS / API_KEYS_FILE
    python -m service.keys hash KEY              # the line for an existing key
    python -m service.keys check                 # do API_KEYS / API_KEYS_FILE parse?
"""
from __future__ import annotations

import argparse
import sys

from service.auth import KEY_ID_RE, KeyConfigError, KeyRing, digest, new_key


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service.keys", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p_new = sub.add_parser("new", help="print a new key and its API_KEYS line")
    p_new.add_argument("--id", dest="key_id", help="key id (default: 8 random hex digits)")
    p_hash = sub.add_parser("hash", help="print the API_KEYS line of an existing key")
    p_hash.add_argument("key")
    sub.add_parser("check", help="parse API_KEYS / API_KEYS_FILE and list the key ids")
    args = parser.parse_args(argv)
    try:
        if args.command == "new":
            key, line = new_key(args.key_id)
            print(f"key:  {key}")
            print(f"line: {line}")
            print("Give the key to the client (Authorization: Bearer <key>); put only the line in "
                  "API_KEYS or API_KEYS_FILE.", file=sys.stderr)
        elif args.command == "hash":
            key_id = args.key.partition(".")[0]
            if "." not in args.key or not KEY_ID_RE.match(key_id):
                raise KeyConfigError("a key looks like '<key_id>.<secret>'")
            print(f"{key_id}:{digest(args.key)}")
        else:
            from jobs.settings import Settings
            ring = KeyRing.from_settings(Settings.from_env())
            print(f"{len(ring.digests)} key(s): {', '.join(sorted(ring.digests)) or '(none: keys off)'}")
    except KeyConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
