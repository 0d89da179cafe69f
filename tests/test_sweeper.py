"""The sweeper: a pending job whose message was lost is requeued once, then failed;
never left pending for its whole TTL.

Against a real Redis; the end-to-end case deletes a job's message from the broker's
queue and lets a real worker's sweeper find it.
"""
from __future__ import annotations

import time

import pytest

from tests.conftest import _wait_for, spawn_worker, stop_process


@pytest.fixture()
def store(redis_server):
    from jobs.store import JobStore, redis_client
    s = JobStore(redis_client(redis_server), f"sweep-{time.monotonic_ns()}:", ttl=600, deadline=5)
    yield s


def _job(store, steps=("segmentation",)) -> str:
    from jobs.store import new_job_id
    job_id = new_job_id()
    store.create(job_id, list(steps), article={"text": "نص قصير للاختبار."})
    return job_id


def test_a_job_past_its_deadline_is_requeued_once_then_failed(store):
    from jobs.sweeper import sweep
    job_id = _job(store)
    published = []
    later = time.time() + 60  # past the 5 s deadline
    assert sweep(store, lambda j, s: published.append((j, s)), now=time.time())["requeued"] == []
    done = sweep(store, lambda j, s: published.append((j, s)), now=later)
    assert done["requeued"] == [job_id] and published == [(job_id, ["segmentation"])]
    assert store.get(job_id)["status"] == "queued"
    assert store.counters()["requeued"] == 1
    # Its requeued message is lost too: the next time past the deadline, it fails clearly.
    done = sweep(store, lambda j, s: published.append((j, s)), now=later + 60)
    assert done["failed"] == [job_id] and len(published) == 1
    job = store.get(job_id)
    assert job["status"] == "failed"
    assert job["error"]["type"] == "/problems/job-stalled" and "requeued once" in job["error"]["detail"]
    assert store.overdue(later + 3600) == []  # no longer pending


def test_finished_and_deleted_jobs_leave_the_pending_index(store):
    from jobs import lifecycle
    from jobs.sweeper import sweep
    finished, deleted = _job(store), _job(store)
    lifecycle.record(store, finished, "succeed", result="{}", steps_done="[]")
    assert finished not in store.overdue(time.time() + 60)  # succeed drops it itself
    store.delete(deleted)
    assert store.overdue(time.time() + 60) == []
    assert sweep(store, lambda *a: pytest.fail("nothing to publish"), now=time.time() + 60) == \
        {"requeued": [], "failed": [], "dropped": []}


def test_one_sweeper_at_a_time(store):
    from jobs.sweeper import sweep
    _job(store)
    store.r.set(f"{store.prefix}sweeper", "1", ex=30)  # another worker holds the lock
    assert sweep(store, lambda *a: pytest.fail("locked out"), now=time.time() + 60)["requeued"] == []


def test_a_message_deleted_from_the_broker_is_swept_and_the_job_succeeds(redis_server, service_env,
                                                                          service_tmp, celery_app):
    """The broker's queue key is deleted after the job was accepted; the worker's sweeper
    requeues the job past its deadline and the job succeeds, once."""
    from jobs.settings import Settings
    from jobs.store import JobStore, redis_client
    from workers.celery_app import enqueue
    prefix, queue = "swept:", "swept-queue"
    env = {**service_env, "KEY_PREFIX": prefix, "CELERY_DEFAULT_QUEUE": queue,
           "JOB_DEADLINE_SECONDS": "60", "SWEEP_INTERVAL_SECONDS": "1"}
    # Accepted with a 3 s deadline; once requeued, the worker gives it its own 60 s.
    store = JobStore(redis_client(redis_server), prefix, ttl=600, deadline=3)
    job_id = _job(store)
    enqueue(job_id, ["segmentation"], queue=queue)
    broker = redis_client(Settings.from_env(redis_url=redis_server).broker)
    assert broker.llen(queue) == 1
    broker.delete(queue)  # the message is lost (a flushed broker, the last second of an AOF)
    worker = spawn_worker(env, service_tmp / "worker-swept.log", "swept", celery_app, queues=queue)
    try:
        _wait_for(lambda: store.get(job_id)["status"] == "succeeded", 60, "the swept job",
                  worker["process"], worker["log"])
    finally:
        stop_process(worker["process"])
    job = store.get(job_id)
    assert job["requeues"] == "1" and job["steps_done"] == ["segmentation"]
    assert store.counters()["succeeded"] == 1
