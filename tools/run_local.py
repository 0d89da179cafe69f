"""Run the whole service locally: ``make run`` (``.venv/bin/python -m tools.run_local``).

Starts, in order: a ``redis-server`` on a free loopback port (unless ``REDIS_URL`` is set),
a Celery worker, and the API under gunicorn on http://127.0.0.1:8000 (``PORT`` to change);
waits until ``/readyz`` says ready, prints a working ``curl`` example that submits a seed
article, and on Ctrl-C stops everything it started, API first, Redis last.

Logs go to ``run/logs/``. The processes are started by ``tools/stack.py``, as in the tests
and the benchmarks. SIGINT, SIGTERM and SIGHUP stop everything once; while it stops, more
of them are ignored. A port already taken is reported before anything starts.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path

from tools.stack import ROOT, Stack, StartError, StopSignals


def curl_example(base: str, run_dir: Path) -> str:
    seed = sorted((ROOT / "seeds").glob("*.txt"))[0]
    body = run_dir / "example-request.json"
    # No client fields: the outlet, title and tags come from the article's own boilerplate.
    body.write_text(json.dumps({"text": seed.read_text(encoding="utf-8"),
                                "metadata": {"file": seed.name}}, ensure_ascii=False),
                    encoding="utf-8")
    rel = os.path.relpath(body, Path.cwd())
    return (f"  # submit a seed article ({seed.name}) and wait up to 30 s for the result:\n"
            f"  curl -s -X POST '{base}/v1/jobs?wait=30' -H 'Content-Type: application/json' \\\n"
            f"       --data-binary @{rel}\n"
            f"  # or submit, then poll the job it returns (Location header):\n"
            f"  curl -si -X POST {base}/v1/jobs -H 'Content-Type: application/json' --data-binary @{rel}\n"
            f"  curl -s {base}/v1/jobs/<id>\n"
            f"  # docs: {base}/docs   spec: {base}/openapi.yaml   metrics: {base}/metrics")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.run_local", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--concurrency", type=int, default=int(os.environ.get("WORKER_CONCURRENCY", "1")),
                        help="worker processes (default 1)")
    args = parser.parse_args(argv)

    run_dir = ROOT / "run"
    stack = Stack(run_dir)
    with StopSignals() as signals:
        try:
            stack.check_port(args.port)
            if os.environ.get("REDIS_URL"):
                print(f"using REDIS_URL={os.environ['REDIS_URL']}")
            else:
                print("starting redis-server ...", flush=True)
                print(f"  {stack.start_redis().url}")
            print("starting a Celery worker (engines warm up once) ...", flush=True)
            stack.start_worker(concurrency=args.concurrency)
            print("starting the API under gunicorn ...", flush=True)
            base = stack.start_api(args.port).base
            print(f"\nready: {base}   (logs in {os.path.relpath(stack.log_dir)}; Ctrl-C stops everything)\n")
            print(curl_example(base, run_dir), flush=True)
            while True:
                time.sleep(1)
                dead = stack.dead()
                if dead:
                    print(f"\n{dead.name} stopped unexpectedly:\n{dead.tail(2000)}", file=sys.stderr)
                    return 1
        except StartError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 0
        finally:
            signals.ignore()
            if signals.received is not None:
                print(f"\n{signal.Signals(signals.received).name}: stopping ...", flush=True)
            stack.stop()
            if signals.received is not None:
                print("stopped.")


if __name__ == "__main__":
    sys.exit(main())
