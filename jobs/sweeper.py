"""The sweeper: no job stays pending for ever because its message was lost.

The broker redelivers a message whose worker died (``acks_late``), but a message can be
lost other ways: the last second of an ``everysec`` append-only file, a flushed or
restored broker, a deleted queue or unacked set. The job record would then say
``queued``/``running`` until its TTL, and a retry with the same Idempotency-Key would
return that stuck job.

Every pending job has a deadline in the store's pending index, pushed on by ``accept``,
``start`` and ``requeue`` (``JOB_DEADLINE_SECONDS``, above the broker's visibility
timeout, so a message the broker will redeliver is not also requeued). A job found past
it is requeued once (its messages are idempotent: a step that ran is not run twice, a
finished job is not moved); past it again, the job fails with a ``job-stalled`` problem.
One sweeper at a time across all workers (a Redis lock); it runs every
``SWEEP_INTERVAL_SECONDS`` in each worker's main process (workers/sweeper.py).
"""
from __future__ import annotations

import json
import logging

from jobs import lifecycle
from jobs.store import JobStore, now_iso

log = logging.getLogger("jobs.sweeper")

MAX_REQUEUES = 1


def sweep(store: JobStore, publish, *, now: float | None = None, lock_seconds: int = 30) -> dict:
    """One pass over the overdue jobs; ``publish(job_id, steps)`` sends a job's messages
    again. Returns what it did: {"requeued": [...], "failed": [...], "dropped": [...]}."""
    done = {"requeued": [], "failed": [], "dropped": []}
    lock = f"{store.prefix}sweeper"
    if not store.r.set(lock, "1", nx=True, ex=max(int(lock_seconds), 1)):
        return done  # another worker is sweeping
    try:
        for job_id in store.overdue(now):
            fields = store.r.hmget(store.job_key(job_id), ("status", "steps", "requeues"))
            status, steps, requeues = fields
            if status not in lifecycle.PENDING:
                store.forget_pending(job_id)  # finished or gone: nothing to sweep
                done["dropped"].append(job_id)
                continue
            if int(requeues or 0) >= MAX_REQUEUES:
                problem = lifecycle.problem_for(
                    "stalled", None, detail=f"the job made no progress for {store.deadline} s "
                    "after it was requeued once (its messages were lost); submit it again")
                ts = now_iso()
                if lifecycle.record(store, job_id, "fail", error=json.dumps(problem), updated_at=ts,
                                    finished_at=ts, started_at=ts).written:
                    done["failed"].append(job_id)
                    log.warning("stalled job failed", extra={"job_id": job_id})
                continue
            if lifecycle.record(store, job_id, "requeue", requeues=str(int(requeues or 0) + 1),
                                updated_at=now_iso()).written:
                publish(job_id, json.loads(steps))
                done["requeued"].append(job_id)
                log.warning("stalled job requeued", extra={"job_id": job_id})
    finally:
        store.r.delete(lock)
    return done


def run_forever(store: JobStore, publish, interval: float, stop) -> None:
    """``sweep`` every ``interval`` seconds until ``stop`` (a threading.Event) is set."""
    while not stop.wait(interval):
        try:
            sweep(store, publish, lock_seconds=max(int(interval), 1))
        except Exception:  # a Redis outage: try again next time
            log.warning("sweep failed; next in %.0f s", interval, exc_info=True)
