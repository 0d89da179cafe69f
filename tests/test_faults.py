"""Faults: workers killed, Redis restarted, dependencies down, tasks that raise.

Real processes only, on loopback, on a stack of this module's own (the session's Redis and
worker are never touched): a ``redis-server`` with append-only persistence in a temp dir
(as in docker-compose.yml), Celery workers (prefork, one child, as in production) and the
API under gunicorn. Every HTTP answer goes through the contract checker.

Where the other fault tests live (not repeated here):
- broker unreachable at submit -> 503 + Retry-After, no record, no idempotency claim:
  tests/test_api.py::test_broker_down_at_submit_is_503_and_leaves_nothing;
- Redis down -> 503: tests/test_api.py::test_redis_down;
- a step over its time limit -> failed with step-timeout: tests/test_api_limits.py;
- a corrupt message run in-process -> failed with a step-failed problem, no internals:
  tests/test_api.py::test_a_step_that_raises_fails_the_job_with_a_problem.

The workers here run with a short broker visibility timeout (``BROKER_VISIBILITY_TIMEOUT``)
so that a message taken by a worker that vanished comes back within seconds, not the
production default's minutes.
"""
from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from pathlib import Path

import pytest
import redis
import requests

from tests.conftest import ROOT, _wait_for, worker_handle
from tools import stack as launcher
from tests.test_api_limits import long_text

SHORT = "أكد الرئيس الروسي فلاديمير بوتين في موسكو أن العلاقات مع كوريا الشمالية جيدة."
VISIBILITY = 8  # seconds; see the module docstring
MAX_REDELIVERIES = 2
# Each step of this takes a few seconds: long enough to be killed in the middle of.
# (Over the default text and word limits; this stack's API runs with them raised.)
LONG = long_text(30000)


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (Linux /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


class Stack:
    """This module's stack, started by tools/stack.py: a Redis with append-only
    persistence (as in docker-compose.yml), workers, and the API under gunicorn with its
    config file; ``workers`` holds the tests' handles (process, node name, log)."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        env = dict(os.environ)
        env.update(PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1",
                   BROKER_VISIBILITY_TIMEOUT=str(VISIBILITY), BROKER_RESTORE_INTERVAL="1",
                   STEP_MAX_REDELIVERIES=str(MAX_REDELIVERIES), KEY_PREFIX="faults:",
                   MAX_TEXT_CHARS="400000", MAX_ARTICLE_WORDS="200000",
                   # Every step's progress recorded: the tests time their kills on it.
                   PROGRESS_INTERVAL_SECONDS="0")
        env.pop("BROKER_URL", None)
        self.processes = launcher.Stack(tmp, env=env, log_dir=tmp)
        self.workers: list[dict] = []
        self.base = ""

    @property
    def redis(self) -> launcher.RedisServer:
        return self.processes.redis

    @property
    def env(self) -> dict:
        return self.processes.env

    def start(self) -> None:
        self.processes.start_redis(persistence="aof")
        self.start_worker("faults-a")
        self.base = self.processes.start_api(workers=1, threads=8, name="gunicorn").base

    def probe(self):
        from celery import Celery
        return Celery("probe", broker=self.redis.url)

    def start_worker(self, label: str, wait: bool = True, **env) -> dict:
        worker = self.processes.start_worker(label, env=env, log=self.tmp / f"worker-{label}.log",
                                             wait=wait)
        self.workers.append(worker_handle(worker))
        return self.workers[-1]

    def store(self):
        from jobs.store import JobStore, redis_client
        return JobStore(redis_client(self.redis.url), "faults:")

    def stop(self) -> None:
        self.processes.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("faults"))
    try:
        s.start()
        yield s
    finally:
        s.stop()


def submit(stack: Stack, check, body: dict) -> dict:
    resp = requests.post(stack.base + "/v1/jobs", json=body, timeout=30)
    job = check(resp)
    assert resp.status_code == 202, job
    return job


def wait_done(stack: Stack, check, job_id: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        resp = requests.get(f"{stack.base}/v1/jobs/{job_id}?wait=5", timeout=30)
        job = check(resp)
        if job["status"] in ("succeeded", "failed"):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job['status']} after {timeout:.0f} s")


def wait_record(store, job_id: str, predicate, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = store.get(job_id)
        if job is not None and predicate(job):
            return job
        time.sleep(0.02)
    job = {k: v for k, v in (store.get(job_id) or {}).items() if k != "result"}
    raise AssertionError(f"job {job_id}: condition not reached in {timeout:.0f} s: {job}")


def step_counts(store) -> dict[str, float]:
    from nlp import STEPS
    return {s: h.get("count", 0.0) for s, h in store.step_histograms(STEPS).items()}


def kill_running_child(stack: Stack, worker: dict) -> None:
    """SIGKILL the pool process once it runs a task (the worker reports it active,
    i.e. the child has accepted it; killed before that, billiard would quietly hand the
    task to the next child and nothing would be tested)."""
    probe = stack.probe()
    try:
        def active():
            reply = probe.control.inspect(destination=[worker["name"]], timeout=0.5).active() or {}
            return any(tasks for tasks in reply.values())
        _wait_for(active, 60, "a task running", worker["process"], worker["log"])
    finally:
        probe.close()
    _wait_for(lambda: len(children(worker["process"].pid)) == 1, 10, "one pool process")
    (child,) = children(worker["process"].pid)
    os.kill(child, signal.SIGKILL)


def log_of(worker: dict) -> str:
    return worker["log"].read_text(errors="replace")


# -- a worker killed in the middle of a job ------------------------------------------------------

def _kill_during_last_step(stack, check, kill) -> tuple[dict, dict, dict]:
    """Submit a long article (each step takes a second or more), wait until its last step
    runs, call ``kill()``; returns (job, counter deltas, step-count deltas)."""
    from nlp import available_steps
    steps = list(available_steps())
    store = stack.store()
    counters0, steps0 = store.counters(), step_counts(store)
    job = submit(stack, check, {"text": LONG, "steps": steps})
    # The last step's task starts right after the one before records its steps_done.
    wait_record(store, job["id"], lambda j: j["steps_done"] == steps[:-1])
    kill()
    done = wait_done(stack, check, job["id"], timeout=120)
    counters1, steps1 = store.counters(), step_counts(store)
    deltas = {k: counters1.get(k, 0) - counters0.get(k, 0) for k in ("created", "succeeded", "failed")}
    step_deltas = {s: steps1.get(s, 0) - steps0.get(s, 0) for s in steps}
    return done, deltas, step_deltas


def success_lines(stack: Stack, job_id: str) -> int:
    """How many times a worker recorded this job's success (the store's transition to
    succeeded returned 1), over every worker log of the stack."""
    logs = [w["log"] for w in stack.workers] + list(stack.tmp.glob("worker-*.log"))
    return sum(line.count('"job succeeded"') for log in set(logs)
               for line in log.read_text(errors="replace").splitlines() if job_id in line)


def _assert_succeeded_once(done, deltas, step_deltas):
    from nlp import available_steps
    steps = list(available_steps())
    assert done["status"] == "succeeded", done.get("error")
    assert done["steps_done"] == steps and done["result"]["steps"] == steps
    # Once: one job created, one success counted; each step ran to completion at least
    # once (the killed run is redone; steps before it may be redone too when the steps
    # travel as one task).
    assert deltas == {"created": 1, "succeeded": 1, "failed": 0}
    assert all(n >= 1 for n in step_deltas.values()), step_deltas


def test_worker_child_killed_mid_step_the_job_succeeds_once(stack, check):
    """SIGKILL of the pool process running the step: the main process sees the child
    lost and puts the message back (reject_on_worker_lost); the step runs again."""
    worker = stack.workers[-1]

    def kill():
        kill_running_child(stack, worker)

    done, deltas, step_deltas = _kill_during_last_step(stack, check, kill)
    assert success_lines(stack, done["id"]) == 1
    assert "WorkerLostError" in log_of(worker) or "signal 9" in log_of(worker)
    _assert_succeeded_once(done, deltas, step_deltas)
    assert worker["process"].poll() is None


def test_whole_worker_killed_and_restarted_the_job_succeeds_once(stack, check):
    """SIGKILL of the worker's whole process group (a container killed): the message it
    held is unacknowledged in Redis and comes back to the new worker after the visibility
    timeout."""
    old = stack.workers[-1]

    def kill():
        os.killpg(old["process"].pid, signal.SIGKILL)
        old["process"].wait(timeout=10)
        stack.workers.remove(old)
        stack.start_worker(f"faults-{len(stack.workers)}-{time.monotonic_ns()}")

    done, deltas, step_deltas = _kill_during_last_step(stack, check, kill)
    _assert_succeeded_once(done, deltas, step_deltas)
    assert success_lines(stack, done["id"]) == 1


def test_an_input_that_kills_its_worker_each_time_fails_the_job_and_is_not_redelivered_for_ever(stack, check):
    """A poison input that takes the worker process down with it (as a crash in native
    code or the OOM killer would): redelivered at most STEP_MAX_REDELIVERIES times, then
    the job fails with a problem saying why, and nothing is left in the broker."""
    from nlp import available_steps
    steps = list(available_steps())
    worker = stack.workers[-1]
    store = stack.store()
    job = submit(stack, check, {"text": LONG, "steps": steps})
    wait_record(store, job["id"], lambda j: j["steps_done"] == steps[:-1])
    for n in range(MAX_REDELIVERIES + 1):
        if n:  # the n-th redelivery is running (it counted itself on the job record)
            wait_record(store, job["id"], lambda j: max(
                [int(v) for k, v in j.items() if k.startswith("redelivered:")] or [0]) >= n)
        kill_running_child(stack, worker)
    done = wait_done(stack, check, job["id"], timeout=60)
    assert done["status"] == "failed", {k: v for k, v in done.items() if k != "result"}
    problem = done["error"]
    assert problem["type"] == "/problems/step-failed" and problem["step"] in steps
    times = re.search(r"interrupted (\d+) times", problem["detail"])
    assert times and int(times.group(1)) == MAX_REDELIVERIES + 1, problem
    resp = requests.get(f"{stack.base}/v1/jobs/{job['id']}/result", timeout=10)
    assert resp.status_code == 409 and check(resp)["job_error"] == problem
    assert_broker_empty(stack)
    assert worker["process"].poll() is None


def assert_broker_empty(stack) -> None:
    """No message left that could run again: queue empty, nothing unacknowledged."""
    from workers.celery_app import DEFAULT_QUEUE
    r = redis.Redis.from_url(stack.redis.url)
    _wait_for(lambda: r.llen(DEFAULT_QUEUE) == 0 and r.hlen("unacked") == 0, 10, "broker drained")


def test_a_task_that_raises_fails_the_job_once_and_is_not_retried(stack, check):
    """A message the step cannot work on (a corrupt result: no "steps") raises in a real
    worker: the job fails with a step-failed problem, once, and the message is gone (acked,
    not retried: retries are for transient faults only)."""
    from workers.celery_app import DEFAULT_QUEUE, enqueue
    store = stack.store()
    job = submit_parked(stack, store, ["segmentation"])
    before = store.counters()
    probe = stack.probe()
    # The document a step would hand over, corrupt (a sentence past the end of its text):
    # as if a task before it had stored it so.
    store.r.hset(store.job_key(job), "partial", json.dumps(
        {"document": {"text": SHORT}, "steps": [], "sentences": [{"start": 0, "end": 10 * len(SHORT)}]}))
    try:
        enqueue(job, ["segmentation"], celery=probe, queue=DEFAULT_QUEUE)
    finally:
        probe.close()
    done = wait_done(stack, check, job, timeout=60)
    assert done["status"] == "failed", done
    problem = done["error"]
    assert problem["type"] == "/problems/step-failed" and problem["step"] == "segmentation"
    assert problem["detail"] == "step 'segmentation' failed unexpectedly"  # no internals
    assert_broker_empty(stack)
    after = store.counters()
    assert after.get("failed", 0) - before.get("failed", 0) == 1
    assert "Retry in" not in log_of(stack.workers[-1])


def submit_parked(stack, store, steps) -> str:
    """A job record as the API creates it, whose message the test publishes itself."""
    from jobs.store import new_job_id
    job_id = new_job_id()
    store.create(job_id, steps)
    return job_id


# -- Redis restarted while jobs stream in -----------------------------------------------------

def test_redis_restarted_while_jobs_stream_in_every_accepted_job_finishes(stack, check):
    """Jobs are submitted steadily over HTTP while Redis (append-only, as in the compose
    file) is stopped and started again. Submits during the outage get 503 + Retry-After;
    every job that got a 202 must finish, and succeed."""
    accepted: list[str] = []
    refused: list[int] = []
    other: list[str] = []
    stop = threading.Event()

    def submitter():
        i = 0
        while not stop.is_set():
            i += 1
            try:
                resp = requests.post(stack.base + "/v1/jobs", json={"text": SHORT, "metadata": {"i": i}},
                                     timeout=20)
                body = check(resp)
            except Exception as exc:  # noqa: BLE001 - collected, asserted below
                other.append(repr(exc))
                continue
            if resp.status_code == 202:
                accepted.append(body["id"])
            elif resp.status_code == 503 and resp.headers.get("Retry-After", "").isdigit():
                refused.append(i)
            else:
                other.append(f"{resp.status_code} {body}")
            time.sleep(0.05)

    thread = threading.Thread(target=submitter, daemon=True)
    thread.start()
    try:
        _wait_for(lambda: len(accepted) >= 15, 60, "jobs accepted before the restart")
        # Long jobs, so that the worker holds messages (running, prefetched) at the restart.
        for _ in range(2):
            accepted.append(submit(stack, check, {"text": LONG, "steps": ["segmentation"]})["id"])
        wait_record(stack.store(), accepted[-2], lambda j: j["status"] != "queued")
        stack.redis.stop()
        time.sleep(1.0)
        stack.redis.start()
        n = len(accepted)
        _wait_for(lambda: len(accepted) >= n + 15, 60, "jobs accepted after the restart")
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not other, other[:5]
    print(f"accepted {len(accepted)}, refused with 503 during the outage: {len(refused)}")
    store = stack.store()
    deadline = time.monotonic() + 60  # messages held at the restart come back after VISIBILITY
    while time.monotonic() < deadline:
        jobs = store.get_many(accepted)
        if all(j is not None and j["status"] in ("succeeded", "failed") for j in jobs):
            break
        time.sleep(0.5)
    jobs = store.get_many(accepted)
    lost = [j_id for j_id, j in zip(accepted, jobs) if j is None]
    assert not lost, f"{len(lost)} accepted jobs have no record after the restart"
    stuck = {j_id: (j["status"], j.get("steps_done")) for j_id, j in zip(accepted, jobs)
             if j["status"] not in ("succeeded", "failed")}
    assert not stuck, f"{len(stuck)} of {len(accepted)} jobs pending a minute after the restart: {stuck}"
    failed = [j.get("error") for j in jobs if j["status"] == "failed"]
    assert not failed, failed[:3]
    for job_id in accepted[:: max(1, len(accepted) // 10)]:  # a sample through the API too
        resp = requests.get(f"{stack.base}/v1/jobs/{job_id}", timeout=10)
        assert check(resp)["status"] == "succeeded"


# -- transient faults: retried with backoff, and only so many times ---------------------------

SPLIT_QUEUE = "split"
SPLIT_RETRIES = 2


@pytest.fixture(scope="module")
def split(stack):
    """A second Redis holding only the job records (REDIS_URL) while the broker stays on
    the stack's Redis (BROKER_URL), and a worker on a queue of its own: the store can go
    away under a running task while its messages keep flowing."""
    store_redis = launcher.RedisServer(stack.tmp / "redis-store", persistence="aof")
    store_redis.start()
    worker = launcher.Worker({**stack.env, "REDIS_URL": store_redis.url, "BROKER_URL": stack.redis.url,
                              "STEP_MAX_RETRIES": str(SPLIT_RETRIES)},
                             stack.tmp / "worker-split.log", name="split", queues=SPLIT_QUEUE)
    probe = stack.probe()
    try:
        worker.start()
        from jobs.store import JobStore, redis_client
        yield {"redis": store_redis, "worker": worker_handle(worker), "probe": probe,
               "store": JobStore(redis_client(store_redis.url), "faults:")}
    finally:
        probe.close()
        worker.stop(grace=10)
        store_redis.stop()


def retries_logged(worker: dict, job_id: str) -> list[int]:
    """The backoffs of the retries logged for this job, in order ("retry in 1s")."""
    return [int(m) for line in log_of(worker).splitlines() if job_id in line
            for m in re.findall(r"retry in (\d+)s", line, flags=re.I)]


def _start_split_job(split) -> str:
    from jobs.store import new_job_id
    from workers.celery_app import enqueue
    job_id = new_job_id()
    split["store"].create(job_id, ["segmentation"], article={"text": LONG})
    enqueue(job_id, ["segmentation"], celery=split["probe"], queue=SPLIT_QUEUE)
    wait_record(split["store"], job_id, lambda j: j["status"] == "running")
    split["redis"].stop()  # the store goes away while the step runs
    return job_id


def test_a_transient_fault_is_retried_with_backoff_and_the_job_succeeds(split):
    worker = split["worker"]
    job_id = _start_split_job(split)
    try:
        _wait_for(lambda: retries_logged(worker, job_id) == [1, 2], 60, "two retries", worker["process"])
    finally:
        split["redis"].start()  # back (append-only: the record survived) before the third try
    job = wait_record(split["store"], job_id, lambda j: j["status"] in ("succeeded", "failed"), timeout=30)
    assert job["status"] == "succeeded", job.get("error")
    assert job["steps_done"] == ["segmentation"]
    assert retries_logged(worker, job_id) == [1, 2]  # exponential backoff: 1 s, then 2 s


def test_a_transient_fault_that_outlasts_the_retries_does_not_lose_the_job(split):
    """Retries are bounded (STEP_MAX_RETRIES per delivery, backoff 1 s, 2 s); when they run
    out and the failure cannot even be recorded (the store is what is away), the message is
    put back instead of dropped, so the job still finishes once the store returns."""
    worker = split["worker"]
    job_id = _start_split_job(split)
    try:
        _wait_for(lambda: any(job_id in line and "message put back" in line
                              for line in log_of(worker).splitlines()),
                  60, "the retries running out", worker["process"])
        retries = retries_logged(worker, job_id)
        assert retries[:SPLIT_RETRIES] == [1, 2] and max(retries) == 2, retries  # bounded
    finally:
        split["redis"].start()
    job = wait_record(split["store"], job_id, lambda j: j["status"] in ("succeeded", "failed"), timeout=60)
    assert job["status"] == "succeeded", job.get("error")
