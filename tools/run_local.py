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

from tools.stack import ROOT, Stack, StartError, StopSignals, free_port, port_in_use  # noqa: F401 (re-exported)


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


def say(*parts, err: bool = False) -> None:
    """Print, but never fail: after SIGHUP the terminal may be gone and writing to it raises;
    from then on output goes nowhere (also at exit, whose flush would fail too)."""
    try:
        print(*parts, file=sys.stderr if err else sys.stdout, flush=True)
    except (OSError, ValueError):
        sys.stdout = sys.stderr = open(os.devnull, "w")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.run_local", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--concurrency", type=int, default=int(os.environ.get("WORKER_CONCURRENCY", "1")),
                        help="worker processes (default 1)")
    parser.add_argument("--run-dir", type=Path, default=ROOT / "run",
                        help="where logs and the example request go (default: run/)")
    args = parser.parse_args(argv)

    code = 0
    with StopSignals() as signals:
        stack = Stack(args.run_dir)
        try:
            stack.check_port(args.port)  # before anything starts, not after Redis and a worker
            if os.environ.get("REDIS_URL"):
                say(f"using REDIS_URL={os.environ['REDIS_URL']}")
            else:
                say("starting redis-server ...")
                say(f"  {stack.start_redis().url}")
            say("starting a Celery worker (engines warm up once) ...")
            stack.start_worker(concurrency=args.concurrency)
            say("starting the API under gunicorn ...")
            base = stack.start_api(args.port).base
            say(f"\nready: {base}   (logs in {os.path.relpath(stack.log_dir)}; Ctrl-C stops everything)\n")
            say(curl_example(base, args.run_dir))
            while True:
                time.sleep(1)
                dead = stack.dead()
                if dead:
                    say(f"\n{dead.name} stopped unexpectedly:\n{dead.tail(2000)}", err=True)
                    code = 1
                    break
        except StartError as exc:
            say(f"error: {exc}", err=True)
            code = 1
        except KeyboardInterrupt:
            pass
        finally:
            signals.ignore()
            if signals.received is not None:
                say(f"\nstopping ({signal.Signals(signals.received).name}; further signals are ignored) ...")
            stack.stop()
            if signals.received is not None:
                say("stopped.")
    return code


if __name__ == "__main__":
    sys.exit(main())
