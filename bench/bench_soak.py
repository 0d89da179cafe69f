"""Soak: thousands of jobs at a steady rate, one worker SIGKILLed and restarted midway.

    .venv/bin/python -m bench.bench_soak [--jobs 2000] [--rate 10] [--workers 2]

Starts a local stack (tools/stack.py, as ``make run`` does: redis-server, gunicorn with
service/gunicorn.conf.py, ``--workers`` Celery workers of one process each), submits ``--jobs`` short articles over HTTP at
``--rate`` jobs/s from a pool of client threads, and when half have been submitted kills
worker 1's whole process group with SIGKILL (a container killed) and starts it again.
Then it waits for every accepted job to finish and prints:

- accepted (202), refused (503 etc.), succeeded, failed (``--burst`` full-length seed
  articles are added at the kill, so that the killed worker holds messages);
- lost: accepted jobs with no record, or still pending at the end (must be 0);
- run twice: jobs whose success was recorded more than once (must be 0), counted from the
  workers' JSON log lines "job succeeded" (written only when the store's transition to
  succeeded happened) and cross-checked with the store's succeeded counter;
- redelivered: jobs whose message was taken by the killed worker and delivered again
  (at-least-once delivery at work; their result is still recorded once);
- latency p50/p95/p99, server side (record created_at -> finished_at) and client side
  (submit -> finished, observed by polling).

The workers run with ``BROKER_VISIBILITY_TIMEOUT`` = ``--visibility`` (default 20 s): the
killed worker's unacknowledged messages come back after that. Exit status 1 if anything
was lost, run twice or failed. Not in ``make bench``'s default list (it takes minutes).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def short_articles() -> list[str]:
    """The seeds cut to their first two or three sentences (a few hundred characters)."""
    out = []
    for p in sorted((ROOT / "seeds").glob("*.txt")):
        text = p.read_text(encoding="utf-8").strip()
        cut = [m.end() for m in re.finditer(r"[.!؟?]\s", text)]
        end = next((c for c in cut if c >= 250), min(len(text), 400))
        out.append(text[:end].strip())
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))]


def ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=2000)
    ap.add_argument("--rate", type=float, default=10.0, help="jobs submitted per second")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (1 child each)")
    ap.add_argument("--visibility", type=int, default=20, help="BROKER_VISIBILITY_TIMEOUT, s")
    ap.add_argument("--clients", type=int, default=8, help="client threads")
    ap.add_argument("--burst", type=int, default=40,
                    help="full-length articles submitted at the kill, so the killed worker holds some")
    args = ap.parse_args(argv)

    from tools.stack import Stack
    run_dir = Path(tempfile.mkdtemp(prefix="soak-"))
    env = dict(os.environ, BROKER_VISIBILITY_TIMEOUT=str(args.visibility), BROKER_RESTORE_INTERVAL="1",
               LOG_FORMAT="json")
    env.pop("REDIS_URL", None)
    env.pop("API_KEYS", None)
    stack = Stack(run_dir, env)
    articles = short_articles()
    full = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    try:
        stack.start_redis()
        workers = [stack.start_worker(f"worker{w + 1}") for w in range(args.workers)]
        base = stack.start_api(workers=2, threads=8).base
        from jobs.store import JobStore, redis_client
        store = JobStore(redis_client(stack.env["REDIS_URL"]))

        submitted: dict[str, float] = {}       # job id -> submit time
        finished_seen: dict[str, float] = {}   # job id -> time the client saw it finished
        statuses: Counter = Counter()
        lock = threading.Lock()
        session = threading.local()

        def submit(i: int, text: str | None = None) -> None:
            s = getattr(session, "s", None) or requests.Session()
            session.s = s
            started = time.time()
            try:
                resp = s.post(base + "/v1/jobs", json={"text": text or articles[i % len(articles)],
                                                       "metadata": {"n": i}}, timeout=30)
                code = resp.status_code
            except requests.RequestException:
                code = "error"
            with lock:
                statuses[code] += 1
                if code == 202:
                    submitted[resp.json()["id"]] = started

        killed: dict = {}

        def holding(node: str) -> int:
            """Messages the worker holds (running or prefetched), as it reports them."""
            from celery import Celery
            probe = Celery(broker=stack.env["REDIS_URL"])
            try:
                insp = probe.control.inspect(destination=[node], timeout=0.5)
                return sum(len(v) for r in (insp.active(), insp.reserved()) for v in (r or {}).values())
            finally:
                probe.close()

        def kill_and_restart() -> None:
            worker1 = workers[0]
            # Kill it while it holds messages, so the kill has something to lose: a burst of
            # full-length seed articles (part of the accepted jobs) keeps the workers busy.
            for k in range(args.burst):
                pool.submit(submit, k, full[k % len(full)])
            node = worker1.node
            until = time.time() + 20
            while time.time() < until:
                killed["held"] = holding(node)
                if killed["held"] >= 2:
                    break
            killed["at"] = time.time()
            worker1.kill()   # SIGKILL to its whole process group
            worker1.start()  # same node name, same log (appended)
            killed["back"] = time.time()

        done_submitting = threading.Event()
        drain_timeout = args.visibility + 180

        def poll() -> None:
            """Notes when each accepted job is seen finished (client-side latency)."""
            deadline = None
            while True:
                if done_submitting.is_set() and deadline is None:
                    deadline = time.time() + drain_timeout
                with lock:
                    pending = [j for j in submitted if j not in finished_seen]
                for chunk in range(0, len(pending), 500):
                    part = pending[chunk:chunk + 500]
                    now = time.time()
                    for job_id, job in zip(part, store.get_many(part)):
                        if job is None or job["status"] in ("succeeded", "failed"):
                            finished_seen[job_id] = now
                if done_submitting.is_set() and (not pending or time.time() > deadline):
                    return
                time.sleep(0.2)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        print(f"soak: {args.jobs} jobs at {args.rate:g}/s, {args.workers} workers, "
              f"visibility timeout {args.visibility} s; stack in {run_dir}", flush=True)
        t0 = time.time()
        killer = None
        pool = ThreadPoolExecutor(args.clients)
        with pool:
            for i in range(args.jobs):
                delay = t0 + i / args.rate - time.time()
                if delay > 0:
                    time.sleep(delay)
                if i == args.jobs // 2:
                    killer = threading.Thread(target=kill_and_restart)
                    killer.start()
                pool.submit(submit, i)
        submit_wall = time.time() - t0
        if killer:
            killer.join()

        # Drain: every accepted job must finish; the killed worker's messages come back
        # after the visibility timeout.
        done_submitting.set()
        poller.join()
        drain_wall = time.time() - t0
        ids = list(submitted)
        records: dict[str, dict] = {}
        for job_id, job in zip(ids, store.get_many(ids)):
            records[job_id] = job
        succeeded = [j for j in records.values() if j and j["status"] == "succeeded"]
        failed = [j for j in records.values() if j and j["status"] == "failed"]
        lost = [i for i, j in records.items() if j is None or j["status"] not in ("succeeded", "failed")]

        success_lines: Counter = Counter()
        redelivered: set[str] = set()
        for log in sorted({piece.log for piece in stack.pieces}):
            if not log.exists():
                continue
            for line in log.read_text(errors="replace").splitlines():
                if not line.startswith("{"):
                    continue
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if rec.get("msg") == "job succeeded":
                    success_lines[rec.get("job_id")] += 1
                elif rec.get("msg") == "redelivered message":
                    redelivered.add(rec.get("job_id"))
        twice = [j for j, n in success_lines.items() if n > 1]
        counted = store.counters().get("succeeded", 0)

        server = [(ts(j["finished_at"]) - ts(j["created_at"])) * 1000 for j in succeeded]
        client = [(finished_seen[j["id"]] - submitted[j["id"]]) * 1000 for j in succeeded
                  if j["id"] in finished_seen]
        accepted = len(ids)
        print(f"\nsubmitted {args.jobs} (+{args.burst} at the kill) in {submit_wall:.1f} s ({args.jobs / submit_wall:.1f}/s); "
              f"all finished {drain_wall:.1f} s after the first submit")
        if killed:
            print(f"worker1 SIGKILLed at +{killed['at'] - t0:.1f} s holding {killed.get('held', 0)} "
                  f"message(s) (running or prefetched), back at +{killed['back'] - t0:.1f} s")
        print(f"answers:      {dict(statuses)}")
        print(f"accepted:     {accepted}")
        print(f"succeeded:    {len(succeeded)}  (store counter {counted})")
        print(f"failed:       {len(failed)}")
        print(f"lost:         {len(lost)}")
        print(f"run twice:    {len(twice)}")
        print(f"redelivered:  {len(redelivered)} (messages the killed worker held, run again)")
        print(f"latency ms server p50/p95/p99: {pct(server, 50):.0f} / {pct(server, 95):.0f} / {pct(server, 99):.0f}")
        print(f"latency ms client p50/p95/p99: {pct(client, 50):.0f} / {pct(client, 95):.0f} / {pct(client, 99):.0f}"
              "  (client: observed by polling every 0.2 s)")
        if failed:
            print("first failures:", [j.get("error") for j in failed[:3]])

        from bench.summary import record
        record("soak", "jobs lost (worker SIGKILL midway)", len(lost), unit="jobs", higher_is_better=False)
        record("soak", "jobs run twice", len(twice), unit="jobs", higher_is_better=False)
        record("soak", "p99 latency", pct(server, 99), unit="ms", higher_is_better=False)
        ok = not lost and not twice and not failed and counted == len(succeeded) and accepted > 0
        return 0 if ok else 1
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
