"""Another key's job is answered exactly like an unknown id, and the API never reads its
result: the owner is checked in Redis (one Lua script) before the result is read.

Checked on the commands Redis receives (MONITOR), not on response times: no HMGET, HGET or
HGETALL of the foreign job's record may name ``result``, whatever the request.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import replace

import pytest

from jobs import lifecycle
from jobs.store import now_iso
from nlp import enrich
from tests.test_hostile_clients import monitored
# The same two keys and article as the security tests.
from tests.test_security import A, KEY_A, KEY_B, LINE_A, LINE_B, UNKNOWN_ID, bearer  # noqa: F401


@pytest.fixture(scope="module")
def keyed(settings, celery_app):
    from service.app import create_app
    app = create_app(replace(settings, api_keys=f"{LINE_A},{LINE_B}",
                             key_prefix=f"iso-{secrets.token_hex(4)}:"), enqueue=lambda job_id, steps: None)
    client = app.test_client()
    resp = client.post("/v1/jobs", json={"text": A}, headers=bearer(KEY_A))
    job_id = resp.get_json()["id"]
    # Finished as a worker finishes it (the same lifecycle call), with a large result.
    result = enrich({"text": " ".join([A] * 2000)}, steps=["boilerplate"])
    ts = now_iso()
    assert lifecycle.record(app.extensions["job_store"], job_id, "succeed", steps_done='["boilerplate"]',
                            result=json.dumps(result, ensure_ascii=False), partial="null",
                            updated_at=ts, finished_at=ts, started_at=ts).written
    return client, job_id


REQUESTS = [("get", "/v1/jobs/{id}"), ("get", "/v1/jobs/{id}?wait=1"), ("get", "/v1/jobs/{id}/result"),
            ("delete", "/v1/jobs/{id}")]


@pytest.mark.parametrize("method, path", REQUESTS)
def test_another_keys_job_is_an_unknown_id_and_its_result_is_never_read(keyed, check, redis_server,
                                                                        method, path):
    client, job_id = keyed
    answers = {}

    def ask():
        answers["foreign"] = getattr(client, method)(path.format(id=job_id), headers=bearer(KEY_B))
        answers["unknown"] = getattr(client, method)(path.format(id=UNKNOWN_ID), headers=bearer(KEY_B))

    commands = monitored(redis_server, ask)
    foreign, unknown = answers["foreign"], answers["unknown"]
    assert foreign.status_code == unknown.status_code == 404
    assert check(foreign) == check(unknown)
    assert {k: v for k, v in foreign.headers.items() if k != "Date"} == \
        {k: v for k, v in unknown.headers.items() if k != "Date"}
    on_job = [c for c in commands if job_id in c and "finished:" not in c]
    assert on_job, "the foreign job was not looked up at all"
    reads = [c for c in on_job if c.split()[0].upper() in ("HMGET", "HGET", "HGETALL", "HVALS", "DUMP", "GET")]
    assert [c for c in reads if c.split()[0].upper() in ("HGETALL", "HVALS", "DUMP")
            or "result" in c.split()[2:]] == [], reads
    # Every read of the record asks for the owner first: the script answers nothing more
    # when it is another key's (the job's small view fields ride in the same HMGET).
    assert reads and all(c.split()[2] == "owner" for c in reads), reads
    # The owner still sees it: the job was not deleted by the other key.
    own = client.get(f"/v1/jobs/{job_id}", headers=bearer(KEY_A))
    assert own.status_code == 200 and check(own)["status"] == "succeeded"
