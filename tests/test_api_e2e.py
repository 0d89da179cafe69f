"""End to end: seeds through the real app, a real Redis and a real Celery worker process.

Every job runs every step this build has (``available_steps()``), so these tests cover
each layer as it lands. ``E2E_STEPS=a,b`` narrows them while a layer is being built.
A job's result must equal the in-process pipeline's result for the same article (bar
timings): what the service returns is the pipeline's real output, nothing else.
"""
from __future__ import annotations

import time

import pytest

from tests.conftest import e2e_steps, seed_texts, wait_finished
from nlp import available_steps, enrich

SEEDS = seed_texts()


def without_timings(result: dict) -> dict:
    return {k: v for k, v in result.items() if k != "timings_ms"}


def check_result(result: dict, steps: list[str]) -> None:
    """Invariants of any result document (the schema itself is checked by openapi-core)."""
    assert result["steps"] == steps
    text = result["document"]["text"]
    counts = result["document"]["counts"]
    assert counts["characters"] == len(text)
    for name in ("sentences", "tokens", "entities"):
        if name in result:
            assert counts[name] == len(result[name])
            for span in result[name]:
                assert 0 <= span["start"] <= span["end"] <= len(text)
                if "text" in span:
                    assert text[span["start"]:span["end"]] == span["text"]
    if "segmentation" in steps:
        assert result["tokens"] and result["sentences"]
        assert "segmentation" in result["engines"]
    if "entities" in steps:
        assert "entities" in result["engines"]
    if "boilerplate" in steps:
        assert "boilerplate" in result["engines"]
    assert set(result["timings_ms"]) == set(steps)


def test_each_seed_over_http_through_gunicorn_and_a_worker(live_server, check):
    import requests
    steps = e2e_steps()
    session = requests.Session()
    job_ids = {}
    for name, text in SEEDS.items():
        resp = session.post(f"{live_server}/v1/jobs", json={"text": text, "steps": steps,
                                                            "metadata": {"seed": name}}, timeout=10)
        job = check(resp)
        assert resp.status_code == 202, job
        assert resp.headers["Location"] == f"/v1/jobs/{job['id']}"
        assert resp.headers["Retry-After"].isdigit()
        assert job["status"] == "queued" and job["steps"] == steps
        job_ids[name] = job["id"]
    for name, job_id in job_ids.items():
        deadline = time.monotonic() + 120
        while True:
            resp = session.get(f"{live_server}/v1/jobs/{job_id}?wait=5", timeout=15)
            job = check(resp)
            if job["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
                break
        assert job["status"] == "succeeded", job.get("error")
        assert job["metadata"] == {"seed": name}
        assert job["steps_done"] == steps
        assert job["created_at"] <= job["started_at"] <= job["finished_at"]
        check_result(job["result"], steps)
        expected = enrich({"text": SEEDS[name]}, steps)
        assert without_timings(job["result"]) == without_timings(expected)
        resp = session.get(f"{live_server}/v1/jobs/{job_id}/result", timeout=10)
        assert check(resp) == job["result"]


def test_a_batch_of_all_seeds(client, check, celery_worker):
    steps = e2e_steps()
    resp = client.post("/v1/batches", json={"articles": [{"text": t, "steps": steps} for t in SEEDS.values()]})
    batch = check(resp)
    assert resp.status_code == 202
    assert len(batch["jobs"]) == len(SEEDS) and len({j["id"] for j in batch["jobs"]}) == len(SEEDS)
    for job, text in zip(batch["jobs"], SEEDS.values()):
        done = wait_finished(client, check, job["id"])
        assert done["status"] == "succeeded", done.get("error")
        check_result(done["result"], steps)
        assert done["result"]["document"]["counts"]["characters"] > 0


def test_wait_answers_with_the_finished_job(client, check, celery_worker):
    steps = e2e_steps()
    text = next(iter(SEEDS.values()))[:400]
    resp = client.post("/v1/jobs?wait=30", json={"text": text, "steps": steps, "title": "عنوان"})
    job = check(resp)
    assert resp.status_code == 200 and job["status"] == "succeeded", job
    assert "Retry-After" not in resp.headers
    assert job["result"]["input"] == {"format": "text", "title": "عنوان"}
    check_result(job["result"], steps)


def test_html_article(client, check, celery_worker):
    if "boilerplate" not in available_steps():
        pytest.skip("boilerplate layer not in this build (HTML input needs it)")
    steps = e2e_steps()
    body = next(iter(SEEDS.values()))
    paragraphs = "".join(f"<p>{line}</p>" for line in body.splitlines() if line.strip())
    html = f"<html><head><title>خبر</title></head><body><article>{paragraphs}</article></body></html>"
    resp = client.post("/v1/jobs?wait=30", json={"html": html, "steps": steps})
    job = check(resp)
    if job["status"] != "succeeded":
        job = wait_finished(client, check, job["id"])
    assert job["status"] == "succeeded", job.get("error")
    result = job["result"]
    assert result["input"]["format"] == "html"
    assert "<p>" not in result["document"]["text"] and result["document"]["text"].strip()
    check_result(result, steps)
