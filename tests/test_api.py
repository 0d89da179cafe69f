"""The API's behaviour: idempotency, pending jobs, delete, outages, failures and the
operations endpoints. Real Redis, real worker; every response validated against openapi.yaml.
"""
from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from tests.conftest import ROOT, article, e2e_steps, free_port, wait_finished

TEXT = "أكد الرئيس الروسي فلاديمير بوتين في موسكو أن العلاقات مع كوريا الشمالية جيدة."


def job_keys(store) -> set[str]:
    return set(store.r.scan_iter(match=f"{store.prefix}job:*", count=1000))


@pytest.fixture()
def parked(settings, celery_app):
    """An app whose jobs go to a queue no worker reads, so they stay pending."""
    from service.app import create_app
    from workers.celery_app import enqueue
    queue = f"parked-{uuid.uuid4().hex[:8]}"
    app = create_app(settings, enqueue=lambda j, s: enqueue(j, s, queue=queue))
    yield app.test_client()
    app.extensions["job_store"].r.delete(queue)


# -- idempotency ------------------------------------------------------------------------------

def test_same_idempotency_key_and_body_give_the_same_job(client, check, app, celery_worker):
    store = app.extensions["job_store"]
    key = f"k-{uuid.uuid4()}"
    before = store.counters().get("created", 0)
    first = client.post("/v1/jobs", json=article(TEXT), headers={"Idempotency-Key": key})
    job = check(first)
    assert first.status_code == 202 and "Idempotent-Replayed" not in first.headers
    again = client.post("/v1/jobs", json=article(TEXT), headers={"Idempotency-Key": key})
    replay = check(again)
    assert replay["id"] == job["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert store.counters()["created"] == before + 1
    # Once finished, a replay answers 200 with the finished job.
    wait_finished(client, check, job["id"])
    late = client.post("/v1/jobs", json=article(TEXT), headers={"Idempotency-Key": key})
    assert check(late)["id"] == job["id"] and late.status_code == 200
    assert check(late)["status"] == "succeeded"


def test_same_idempotency_key_with_another_body_is_refused(client, check, celery_worker):
    key = f"k-{uuid.uuid4()}"
    check(client.post("/v1/jobs", json=article(TEXT), headers={"Idempotency-Key": key}))
    resp = client.post("/v1/jobs", json=article(TEXT + " آخر"), headers={"Idempotency-Key": key})
    problem = check(resp)
    assert resp.status_code == 422 and problem["type"] == "/problems/idempotency-key-reused"
    # The same key on the batch endpoint is another request too.
    resp = client.post("/v1/batches", json={"articles": [article(TEXT)]}, headers={"Idempotency-Key": key})
    assert check(resp)["type"] == "/problems/idempotency-key-reused"


def test_different_keys_give_different_jobs_and_keys_are_per_endpoint_body(client, check, celery_worker):
    a = check(client.post("/v1/jobs", json=article(TEXT), headers={"Idempotency-Key": f"a-{uuid.uuid4()}"}))
    b = check(client.post("/v1/jobs", json=article(TEXT), headers={"Idempotency-Key": f"b-{uuid.uuid4()}"}))
    c = check(client.post("/v1/jobs", json=article(TEXT)))
    assert len({a["id"], b["id"], c["id"]}) == 3


def test_replay_while_the_first_request_is_still_being_accepted_is_409(client, check, app):
    """The key is claimed before the jobs exist; a replay in that window must not 500."""
    import hashlib
    import json
    store = app.extensions["job_store"]
    key = f"k-{uuid.uuid4()}"
    body = article(TEXT)
    canonical = json.dumps({"kind": "job", "body": body}, sort_keys=True, ensure_ascii=False)
    fingerprint = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    store.claim_idempotency(store.idem_key("anonymous", key), fingerprint, ["e" * 32], "job")
    resp = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": key})
    problem = check(resp)
    assert resp.status_code == 409 and problem["type"] == "/problems/idempotency-key-in-progress"
    assert resp.headers["Retry-After"] == "1"


def test_replay_is_not_answered_from_jobs_that_are_not_yet_published(client, check, app):
    """The first request has written its records but not yet published them (the broker
    may still refuse, and the records be withdrawn): a replay must not get 202."""
    import hashlib
    import json
    from jobs.store import PENDING_CLAIM_TTL
    store = app.extensions["job_store"]
    key = f"k-{uuid.uuid4()}"
    body = article(TEXT)
    canonical = json.dumps({"kind": "job", "body": body}, sort_keys=True, ensure_ascii=False)
    fingerprint = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    idem_key = store.idem_key("anonymous", key)
    job_id = "f" * 31 + "1"
    store.claim_idempotency(idem_key, fingerprint, [job_id], "job")
    store.create(job_id, ["segmentation"], None, idem_key, "anonymous")
    try:
        resp = client.post("/v1/jobs", json=body, headers={"Idempotency-Key": key})
        assert resp.status_code == 409 and check(resp)["type"] == "/problems/idempotency-key-in-progress"
        # A request that died half-way frees its key soon, not after the job TTL.
        assert 0 < store.r.ttl(idem_key) <= PENDING_CLAIM_TTL
    finally:
        store.delete(job_id)


def test_deleting_an_old_job_does_not_free_a_key_claimed_again(client, check, celery_worker):
    key = f"k-{uuid.uuid4()}"
    batch = check(client.post("/v1/batches", json={"articles": [article(TEXT), article(TEXT)]},
                              headers={"Idempotency-Key": key}))
    first, second = (j["id"] for j in batch["jobs"])
    assert client.delete(f"/v1/jobs/{first}").status_code == 204     # frees the key
    new = check(client.post("/v1/jobs", json=article(TEXT), headers={"Idempotency-Key": key}))
    assert client.delete(f"/v1/jobs/{second}").status_code == 204    # not the new claim
    again = client.post("/v1/jobs", json=article(TEXT), headers={"Idempotency-Key": key})
    assert check(again)["id"] == new["id"] and again.headers["Idempotent-Replayed"] == "true"


def test_batch_replay_returns_the_same_jobs(client, check, celery_worker):
    key = f"batch-{uuid.uuid4()}"
    body = {"articles": [article(TEXT), article(TEXT, metadata={"n": 2})]}
    first = check(client.post("/v1/batches", json=body, headers={"Idempotency-Key": key}))
    resp = client.post("/v1/batches", json=body, headers={"Idempotency-Key": key})
    again = check(resp)
    assert resp.headers["Idempotent-Replayed"] == "true"
    assert [j["id"] for j in again["jobs"]] == [j["id"] for j in first["jobs"]]
    assert again["jobs"][1]["metadata"] == {"n": 2}


def test_deleting_a_job_frees_its_idempotency_key(client, check, celery_worker):
    key = f"k-{uuid.uuid4()}"
    job = check(client.post("/v1/jobs", json=article(TEXT), headers={"Idempotency-Key": key}))
    resp = client.delete(f"/v1/jobs/{job['id']}")
    check(resp)
    assert resp.status_code == 204
    fresh = check(client.post("/v1/jobs", json=article(TEXT), headers={"Idempotency-Key": key}))
    assert fresh["id"] != job["id"]


# -- pending jobs, results, delete -------------------------------------------------------------

def test_pending_job_has_retry_after_and_no_result(parked, check):
    resp = parked.post("/v1/jobs", json=article(TEXT, metadata={"a": [1, "ب"]}))
    job = check(resp)
    assert resp.status_code == 202 and resp.headers["Retry-After"] == "1"
    resp = parked.get(f"/v1/jobs/{job['id']}")
    pending = check(resp)
    assert pending["status"] == "queued" and resp.headers["Retry-After"] == "1"
    assert "result" not in pending and pending["metadata"] == {"a": [1, "ب"]}
    resp = parked.get(f"/v1/jobs/{job['id']}/result")
    problem = check(resp)
    assert resp.status_code == 409 and problem["type"] == "/problems/job-not-finished"
    assert resp.headers["Retry-After"] == "1"
    # ?wait on a job that does not finish gives up after N seconds with the pending job.
    resp = parked.get(f"/v1/jobs/{job['id']}?wait=1")
    assert check(resp)["status"] == "queued" and resp.headers["Retry-After"] == "1"


def test_delete_a_pending_job(parked, check):
    job = check(parked.post("/v1/jobs", json=article(TEXT)))
    resp = parked.delete(f"/v1/jobs/{job['id']}")
    assert resp.status_code == 204 and resp.get_data() == b""
    check(resp)
    resp = parked.get(f"/v1/jobs/{job['id']}")
    assert resp.status_code == 404 and check(resp)["type"] == "/problems/not-found"
    resp = parked.delete(f"/v1/jobs/{job['id']}")
    assert resp.status_code == 404 and check(resp)


def test_deleted_job_is_not_resurrected_by_its_tasks(client, check, app, celery_worker):
    """Delete right after submit: whatever the worker does next must not recreate it."""
    job = check(client.post("/v1/jobs", json=article(TEXT)))
    resp = client.delete(f"/v1/jobs/{job['id']}")
    check(resp)
    assert resp.status_code == 204
    # A job submitted after it goes through the same single worker, so when it is done
    # the deleted job's tasks have run (or been skipped) too.
    later = check(client.post("/v1/jobs", json=article(TEXT)))
    wait_finished(client, check, later["id"])
    assert app.extensions["job_store"].get(job["id"]) is None


def test_a_step_that_raises_fails_the_job_with_a_problem(client, check, app, monkeypatch):
    """The real step task, run in this process on a real record, with a corrupt message."""
    from workers import tasks
    store = app.extensions["job_store"]
    monkeypatch.setattr(tasks, "_store", store)
    job_id = "f" * 8 + uuid.uuid4().hex[:24]
    store.create(job_id, ["segmentation"])
    tasks.STEP_TASKS["segmentation"].apply(args=({"document": {"text": TEXT}}, job_id))
    resp = client.get(f"/v1/jobs/{job_id}")
    job = check(resp)
    assert job["status"] == "failed" and "Retry-After" not in resp.headers
    assert job["error"]["type"] == "/problems/step-failed" and job["error"]["step"] == "segmentation"
    assert "Traceback" not in job["error"]["detail"] and "KeyError" not in job["error"]["detail"]
    resp = client.get(f"/v1/jobs/{job_id}/result")
    problem = check(resp)
    assert resp.status_code == 409 and problem["type"] == "/problems/job-failed"
    assert problem["job_error"] == job["error"]


# -- outages ----------------------------------------------------------------------------------

def test_broker_down_at_submit_is_503_and_leaves_nothing(settings, app, check):
    """The job store answers but the broker does not: 503, no record, no idempotency claim."""
    from celery import Celery

    from service.app import create_app
    from workers.celery_app import app as real_celery
    from workers.celery_app import enqueue
    dead = Celery("dead", broker=f"redis://127.0.0.1:{free_port()}/0")
    dead.conf.update(task_publish_retry_policy=real_celery.conf.task_publish_retry_policy,
                     broker_transport_options=real_celery.conf.broker_transport_options,
                     task_serializer="json")
    broken = create_app(settings, enqueue=lambda j, s: enqueue(j, s, celery=dead)).test_client()
    store = app.extensions["job_store"]
    keys_before, created_before = job_keys(store), store.counters().get("created", 0)
    key = f"k-{uuid.uuid4()}"
    for path, body in (("/v1/jobs", {"text": TEXT}), ("/v1/batches", {"articles": [article(TEXT)] * 3})):
        resp = broken.post(path, json=body, headers={"Idempotency-Key": key})
        problem = check(resp)
        assert resp.status_code == 503 and problem["type"] == "/problems/service-unavailable"
        assert int(resp.headers["Retry-After"]) >= 1
    assert job_keys(store) == keys_before
    assert store.counters().get("created", 0) == created_before
    assert store.r.get(store.idem_key("anonymous", key)) is None


def test_redis_down(settings, check):
    from service.app import create_app
    down = create_app(replace(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0"),
                      enqueue=lambda *a: None).test_client()
    resp = down.post("/v1/jobs", json=article(TEXT))
    assert resp.status_code == 503 and check(resp)["type"] == "/problems/service-unavailable"
    assert resp.headers["Retry-After"]
    resp = down.get("/v1/jobs/" + "a" * 32)
    assert resp.status_code == 503 and check(resp)
    resp = down.get("/readyz")
    problem = check(resp)
    assert resp.status_code == 503 and problem["checks"]["redis"] == "unreachable"
    resp = down.get("/healthz")
    assert resp.status_code == 200 and check(resp) == {"status": "ok"}


# -- operations ---------------------------------------------------------------------------------

def test_healthz_and_readyz(client, check, celery_worker):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and check(resp)["status"] == "ok"
    resp = client.get("/readyz")
    body = check(resp)
    assert resp.status_code == 200, body
    assert body == {"status": "ready", "checks": {"redis": "ok", "workers": "ok"}}


def test_steps_lists_what_this_build_can_run(client, check):
    from nlp import STEPS, available_steps
    body = check(client.get("/v1/steps"))
    assert body == {"steps": list(STEPS), "available": list(available_steps())}


def _sample(text: str, name: str, labels: str = "") -> float:
    for line in text.splitlines():
        if line.startswith(name + (labels and "{") ) and (not labels or labels in line):
            return float(line.rsplit(" ", 1)[1])
        if not labels and line.split(" ")[0] == name:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_move_when_jobs_run(client, check, celery_worker):
    before = check(client.get("/metrics")).decode()
    job = check(client.post("/v1/jobs?wait=30", json=article(TEXT)))
    assert job["status"] == "succeeded"
    resp = client.get("/metrics")
    after = check(resp).decode()
    assert resp.headers["Content-Type"].startswith("text/plain")
    assert _sample(after, "enrich_jobs_created_total") == _sample(before, "enrich_jobs_created_total") + 1
    ok = 'status="succeeded"'
    assert _sample(after, "enrich_jobs_finished_total", ok) >= _sample(before, "enrich_jobs_finished_total", ok) + 1
    for step in e2e_steps():
        label = f'step="{step}"'
        assert (_sample(after, "enrich_step_duration_seconds_count", label)
                >= _sample(before, "enrich_step_duration_seconds_count", label) + 1), step
    assert "enrich_queue_depth" in after
    engines = job["result"]["engines"]
    for layer in ("segmentation", "entities"):
        if layer in engines:
            labels = (f'layer="{layer}"', f'engine="{engines[layer]["name"]}"')
            assert (_engine_jobs(after, labels) >= _engine_jobs(before, labels) + 1), layer


def _engine_jobs(text: str, labels: tuple[str, ...]) -> float:
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("enrich_engine_jobs_total{") and all(l in line for l in labels))


def test_the_spec_is_served(client, check):
    resp = client.get("/openapi.yaml")
    # Shown by a browser, not downloaded: a text type, inline.
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    assert resp.headers["Content-Disposition"].startswith("inline")
    assert check(resp) == (ROOT / "openapi.yaml").read_bytes()


def test_docs_page_is_served_without_any_cdn(client, check):
    resp = client.get("/docs")
    page = check(resp).decode()
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    assert "http://" not in page and "https://" not in page and "//" not in page.replace("<!doctype", "")
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "init.js"):
        assert f"/docs/{asset}" in page
        resp = client.get(f"/docs/{asset}")
        assert resp.status_code == 200 and len(check(resp)) > 50, asset
    init = check(client.get("/docs/init.js")).decode()
    assert "/openapi.yaml" in init and "validatorUrl: null" in init
