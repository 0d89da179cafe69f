"""Time limits: a step over its time limit fails its job with a clear ``step-timeout``
problem instead of leaving it ``running`` for ever.

An extra real worker with tiny limits (soft 0.3 s, hard 0.6 s; the step takes seconds) on a queue of its own; the
job's whole chain is sent there. The soft limit raises inside the step; if the layer
swallows it (the text layer catches every exception per word, SoftTimeLimitExceeded
included), the hard limit kills the child and the worker's main process records the
failure. Either way the job must fail with ``step-timeout`` on that step.
"""
from __future__ import annotations

import random

import pytest

from tests.conftest import spawn_worker, stop_process, wait_finished


def long_text(words: int = 15000) -> str:
    """Many distinct Arabic-letter words (no cache helps): segmenting them takes well over
    the limits below on any machine."""
    rng = random.Random(5)
    letters = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
    return " ".join("".join(rng.choice(letters) for _ in range(rng.randint(4, 7)))
                    for _ in range(words))

QUEUE = "hard-limit"


@pytest.fixture(scope="module")
def hard_limited_worker(service_env, service_tmp, celery_app):
    worker = spawn_worker({**service_env, "STEP_SOFT_TIME_LIMIT": "0.3", "STEP_TIME_LIMIT": "0.6"},
                          service_tmp / "worker-hard.log", "hard", celery_app, queues=QUEUE)
    yield worker
    stop_process(worker["process"])


def test_a_step_over_its_time_limit_fails_the_job(app, client, check, hard_limited_worker):
    from jobs.store import new_job_id
    from workers.celery_app import enqueue
    from nlp import available_steps
    if "segmentation" not in available_steps():
        pytest.skip("segmentation layer not in this build")
    store = app.extensions["job_store"]
    job_id = new_job_id()
    store.create(job_id, ["segmentation"], article={"text": long_text()})
    enqueue(job_id, ["segmentation"], queue=QUEUE)
    job = wait_finished(client, check, job_id, timeout=60)
    log = hard_limited_worker["log"].read_text(errors="replace")[-3000:]
    assert job["status"] == "failed", log
    assert job["error"]["type"] == "/problems/step-timeout", job["error"]
    assert job["error"].get("step") == "segmentation", job["error"]
    assert ("took longer than its limit of 0.3 s" in job["error"]["detail"]
            or "hard time limit of 0.6 s" in job["error"]["detail"]), job["error"]
    assert hard_limited_worker["process"].poll() is None  # the worker itself lives on
