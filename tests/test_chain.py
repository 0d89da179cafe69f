"""The shape of a job's Celery chain, and both shapes end to end through real workers.

Every message carries the job id and nothing of the article or the result: the worker
reads the article from the job record.

Consecutive steps routed to one queue travel as one task (FUSE_STEPS, the default);
steps routed to different queues stay separate tasks, so a JVM-backed step can have a
worker pool of its own; FUSE_STEPS=0 gives one task per step.
"""
import uuid

import pytest

from tests.conftest import article, seed_texts, spawn_worker, stop_process, wait_finished
from workers.celery_app import ASSEMBLE_TASK, RUN_TASK, build_chain, enqueue, step_task_name

ALL = ["boilerplate", "segmentation", "entities"]


def _shape(sig):
    return [(t.task, t.options.get("queue"), list(t.args)) for t in sig.tasks]


def test_steps_on_one_queue_travel_as_one_task_that_also_assembles():
    assert _shape(build_chain("j1", ALL, fuse=True)) == [
        (RUN_TASK, "enrich", [ALL, True, "j1"])]


def test_steps_routed_apart_stay_apart(monkeypatch):
    monkeypatch.setenv("CELERY_QUEUE_SEGMENTATION", "farasa")
    monkeypatch.setenv("CELERY_QUEUE_ENTITIES", "farasa")
    assert _shape(build_chain("j1", ALL, fuse=True)) == [
        (RUN_TASK, "enrich", [["boilerplate"], False, "j1"]),
        (RUN_TASK, "farasa", [["segmentation", "entities"], False, "j1"]),
        (ASSEMBLE_TASK, None, ["j1"]),   # routed by task_routes to the assemble queue
    ]


def test_without_fusing_one_task_per_step():
    shape = _shape(build_chain("j1", ALL, fuse=False))
    assert [t for t, _, _ in shape] == [*(step_task_name(s) for s in ALL), ASSEMBLE_TASK]


def test_no_steps_is_assemble_alone():
    assert _shape(build_chain("j1", [], fuse=True)) == [
        (ASSEMBLE_TASK, None, ["j1"])]


@pytest.fixture(scope="module")
def side_worker(service_env, service_tmp, celery_app):
    """A second real worker that reads only its own queue."""
    queue = f"side-{uuid.uuid4().hex[:8]}"
    worker = spawn_worker(service_env, service_tmp / f"{queue}.log", "side", celery_app,
                          queues=queue)
    yield queue
    stop_process(worker["process"])


def _run_seed(settings, check, enqueue_fn) -> dict:
    from service.app import create_app
    client = create_app(settings, enqueue=enqueue_fn).test_client()
    text = seed_texts()["004_2f3a022fdb695d49"]
    job = check(client.post("/v1/jobs", json=article(text)))
    done = wait_finished(client, check, job["id"])
    assert done["status"] == "succeeded", done.get("error")
    assert done["steps_done"] == done["steps"]
    result = done["result"]
    result.pop("timings_ms")
    return result


def test_every_chain_shape_gives_the_same_result(settings, check, celery_worker, side_worker,
                                                 monkeypatch):
    fused = _run_seed(settings, check, lambda j, s: enqueue(j, s, fuse=True))
    per_step = _run_seed(settings, check, lambda j, s: enqueue(j, s, fuse=False))
    # entities on the side worker's queue: RUN(boilerplate, segmentation) -> RUN(entities) -> ASSEMBLE
    monkeypatch.setenv("CELERY_QUEUE_ENTITIES", side_worker)
    split = _run_seed(settings, check, lambda j, s: enqueue(j, s, fuse=True))
    assert fused == per_step == split
