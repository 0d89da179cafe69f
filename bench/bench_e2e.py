"""End-to-end throughput and latency of the service, next to the in-process pipeline.

    .venv/bin/python -m bench.bench_e2e [--jobs 100] [--clients 8] [--workers 1,2]

In one run: the seeds (repeated to ``--jobs`` articles) go through
(a) ``nlp.enrich`` in this process, one after another: the in-process rate;
(b) HTTP (gunicorn) -> Redis -> Celery worker(s) -> Redis -> HTTP, with a local stack this
    script starts with tools/stack.py as ``make run`` does (redis-server, gunicorn with
    service/gunicorn.conf.py, a worker with 1 then 2 processes), ``--clients``
    client threads each submitting a job and long-polling it until it has finished.

Printed per configuration: articles/s (jobs / wall time from first submit to last result),
client-observed p50/p95 latency (submit to finished answer), server-side p50/p95
(record ``created_at`` to ``finished_at``), and the efficiency ratio = e2e rate / in-process
rate (for N worker processes, also against N x the in-process rate: the scaling).
All jobs must succeed; the script exits non-zero otherwise.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def load_articles(n: int) -> list[str]:
    seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    return [seeds[i % len(seeds)] for i in range(n)]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def in_process_rate(articles: list[str]) -> tuple[float, float]:
    """(articles/s, CPU ms per article, step ms per article) of the pipeline in this process."""
    from nlp import enrich
    enrich({"text": articles[0]})  # engines load once, as in a worker
    started, cpu0 = time.perf_counter(), time.process_time()
    step_ms = 0.0
    for text in articles:
        step_ms += sum(enrich({"text": text})["timings_ms"].values())
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu0
    return len(articles) / wall, cpu * 1000 / len(articles), step_ms / len(articles)


_HZ = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(stack) -> dict[str, float]:
    """CPU seconds used so far by each started process group (Linux /proc; else empty)."""
    groups = {piece.pid: piece.name for piece in stack.pieces if piece.alive}
    out: dict[str, float] = {}
    proc_dir = Path("/proc")
    if not proc_dir.is_dir():
        return out
    for entry in proc_dir.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = groups.get(int(fields[2]))  # process group id
        if name:
            out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / _HZ
    return out


def redis_calls(url: str) -> int:
    """Commands Redis has run so far (INFO commandstats; a script's own calls included)."""
    import redis
    stats = redis.Redis.from_url(url).info("commandstats")
    return sum(int(v["calls"]) for v in stats.values())


def _ts(value: str) -> float:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def run_jobs(base: str, articles: list[str], clients: int, submit_wait: int = 0) -> dict:
    """Each client submits a job and long-polls it until it has finished; with
    ``submit_wait`` the submit itself waits (``POST ?wait=N``: one request per job)."""
    session_per_thread: dict[int, requests.Session] = {}

    def one(text: str) -> tuple[float, dict]:
        import threading
        s = session_per_thread.setdefault(threading.get_ident(), requests.Session())
        t0 = time.perf_counter()
        query = f"?wait={submit_wait}" if submit_wait else ""
        r = s.post(f"{base}/v1/jobs{query}", json={"text": text}, timeout=60)
        r.raise_for_status()
        job = r.json()
        while job["status"] in ("queued", "running"):
            r = s.get(f"{base}/v1/jobs/{job['id']}?wait=30", timeout=60)
            r.raise_for_status()
            job = r.json()
        return time.perf_counter() - t0, job

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        outcomes = list(pool.map(one, articles))
    wall = time.perf_counter() - started
    jobs = [j for _lat, j in outcomes]
    failed = [j for j in jobs if j["status"] != "succeeded"]
    server = [(_ts(j["finished_at"]) - _ts(j["created_at"])) for j in jobs if "finished_at" in j]
    # Time the steps themselves took inside the worker (the result's timings_ms).
    step_ms = [sum(j["result"]["timings_ms"].values()) for j in jobs if j.get("result")]
    return {"rate": len(articles) / wall, "wall": wall,
            "client_ms": [lat * 1000 for lat, _j in outcomes],
            "server_ms": [s * 1000 for s in server], "failed": len(failed),
            "step_ms": sum(step_ms) / max(len(step_ms), 1),
            "first_error": failed[0].get("error") if failed else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_e2e", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", default="1,2", help="worker process counts to try, in order")
    parser.add_argument("--submit-wait", type=int, default=0, metavar="N",
                        help="submit with ?wait=N (one request per job) instead of submit then long-poll")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from tools.stack import Stack

    articles = load_articles(args.jobs)
    print(f"articles: {len(articles)} (the {len(set(articles))} seeds repeated), clients: {args.clients}")
    before, base_cpu, base_step_ms = in_process_rate(articles)
    print(f"in-process pipeline: {before:.2f} articles/s, {base_cpu:.0f} ms CPU per article", flush=True)

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp, Stack(Path(tmp)) as stack:
        stack.start_redis()
        base = stack.start_api(workers=2, threads=8).base
        for n in [int(x) for x in args.workers.split(",")]:
            name = f"worker{n}"
            worker = stack.start_worker(name, concurrency=n)
            run_jobs(base, articles[: max(2 * n, 4)], args.clients, args.submit_wait)  # warm the path
            cpu0 = cpu_seconds(stack)
            calls0 = redis_calls(stack.env["REDIS_URL"])
            self0 = resource.getrusage(resource.RUSAGE_SELF)
            res = run_jobs(base, articles, args.clients, args.submit_wait)
            calls1 = redis_calls(stack.env["REDIS_URL"])
            cpu1 = cpu_seconds(stack)
            self1 = resource.getrusage(resource.RUSAGE_SELF)
            res["cpu_ms"] = {k: (cpu1[k] - cpu0.get(k, 0.0)) * 1000 / len(articles) for k in cpu1}
            res["cpu_ms"]["client"] = ((self1.ru_utime + self1.ru_stime - self0.ru_utime - self0.ru_stime)
                                       * 1000 / len(articles))
            res["cpu_ms"] = {("worker" if k == name else k): v for k, v in res["cpu_ms"].items()}
            # Each job's ?wait long-polls are the client's choice; the rest is the service.
            res["redis_per_job"] = (calls1 - calls0) / len(articles)
            rows.append((n, res))
            stack.discard(worker, grace=30)  # stopped before the next configuration
    after, _, _ = in_process_rate(articles)
    base_rate = (before + after) / 2
    print(f"in-process pipeline again: {after:.2f} articles/s; baseline = mean = {base_rate:.2f}")

    print()
    header = (f"{'worker procs':>12} {'articles/s':>10} {'vs in-proc':>10} {'vs N x in-proc':>14} "
              f"{'p50 ms':>8} {'p95 ms':>8} {'srv p50':>8} {'srv p95':>8} {'failed':>6}")
    print(header)
    print("-" * len(header))
    print(f"{'in-process':>12} {base_rate:10.2f} {1.0:10.2f} {'':>14}")
    ok = True
    for n, r in rows:
        print(f"{n:12d} {r['rate']:10.2f} {r['rate'] / base_rate:10.2f} {r['rate'] / (n * base_rate):14.2f} "
              f"{pct(r['client_ms'], 50):8.0f} {pct(r['client_ms'], 95):8.0f} "
              f"{pct(r['server_ms'], 50):8.0f} {pct(r['server_ms'], 95):8.0f} {r['failed']:6d}")
        if r["failed"]:
            ok = False
            print(f"  first error: {r['first_error']}")
    print(f"\nCPU ms per article (in-process: {base_cpu:.0f}):")
    for n, r in rows:
        parts = ", ".join(f"{k} {v:.0f}" for k, v in sorted(r["cpu_ms"].items()))
        total = sum(r["cpu_ms"].values())
        print(f"  {n} worker proc(s): {parts}; total {total:.0f} "
              f"(worker / in-process = {r['cpu_ms'].get('worker', 0) / base_cpu:.2f})")
    print(f"\nsteps' own time per article (timings_ms): in-process {base_step_ms:.0f} ms; "
          + "; ".join(f"{n} worker proc(s) {r['step_ms']:.0f} ms" for n, r in rows))
    print("\nper job (worker CPU beyond the steps = worker CPU - in-process CPU, same articles):")
    for n, r in rows:
        print(f"  {n} worker proc(s): worker CPU beyond the steps {r['cpu_ms'].get('worker', 0) - base_cpu:.1f} ms, "
              f"API CPU {r['cpu_ms'].get('api', 0):.1f} ms, Redis commands {r['redis_per_job']:.1f}")
    print(f"\nload average now: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    print("efficiency ratio = e2e articles/s with 1 worker process / in-process articles/s (aim >= 0.8)")
    from bench.summary import record  # the `make bench` table (no-op outside it)
    for n, r in rows:
        record("service", f"e2e rate, {n} worker proc(s)", round(r["rate"], 2), unit="articles/s",
               baseline="in-process pipeline", baseline_value=round(base_rate, 2))
        record("service", f"e2e p50 latency, {n} worker proc(s)", round(pct(r["client_ms"], 50)),
               unit="ms", higher_is_better=False)
        record("service", f"e2e p95 latency, {n} worker proc(s)", round(pct(r["client_ms"], 95)),
               unit="ms", higher_is_better=False)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
