"""Security, through the real app on a real Redis (tests/conftest.py): API keys, who sees
which job, rate limits, what errors and headers reveal, unguessable job ids, and the same
over real HTTP under gunicorn with its config file.

Apps with keys on or a low rate limit are built here from the session's Settings; each
rate-limited app has its own Redis key prefix so counters never leak between tests.
"""
from __future__ import annotations

import json
import re
import secrets
import subprocess
import time
from dataclasses import replace

import pytest

from service.auth import KeyRing, new_key, parse_entries
from tests.conftest import ROOT, VENV_BIN, free_port
from tools.stack import Api

A = "قال الرئيس إن العلاقات جيدة."
UNKNOWN_ID = "0123456789abcdef0123456789abcdef"
KEY_A, LINE_A = new_key("alpha")
KEY_B, LINE_B = new_key("beta")


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def post_json(client, path, body, headers=None):
    return client.post(path, data=json.dumps(body, ensure_ascii=False).encode(),
                       content_type="application/json", headers=headers or {})


@pytest.fixture(scope="module")
def keyed_app(settings, celery_app):
    from service.app import create_app
    return create_app(replace(settings, api_keys=f"{LINE_A}, {LINE_B}"))


@pytest.fixture()
def keyed(keyed_app):
    return keyed_app.test_client()


def submit(client, check, key, body=None, headers=None) -> dict:
    resp = post_json(client, "/v1/jobs", body or {"text": A}, {**bearer(key), **(headers or {})})
    job = check(resp)
    assert resp.status_code == 202, job
    return job


# -- API keys --------------------------------------------------------------------------------

def test_keys_are_off_by_default(client, check):
    resp = client.get("/v1/steps")
    check(resp)
    assert resp.status_code == 200


OPERATIONS = [
    ("post", "/v1/jobs", {"data": json.dumps({"text": A}), "content_type": "application/json"}),
    ("post", "/v1/batches", {"data": json.dumps({"articles": [{"text": A}]}),
                             "content_type": "application/json"}),
    ("get", f"/v1/jobs/{UNKNOWN_ID}", {}),
    ("get", f"/v1/jobs/{UNKNOWN_ID}/result", {}),
    ("delete", f"/v1/jobs/{UNKNOWN_ID}", {}),
    ("get", "/v1/steps", {}),
]


@pytest.mark.parametrize("method,path,kwargs", OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_every_v1_operation_needs_a_key(keyed, keyed_app, check, method, path, kwargs):
    store = keyed_app.extensions["job_store"]
    before = store.counters().get("created", 0)
    resp = getattr(keyed, method)(path, **kwargs)
    problem = check(resp)
    assert resp.status_code == 401, problem
    assert problem["type"] == "/problems/unauthorized"
    assert resp.headers["WWW-Authenticate"] == 'Bearer realm="enrichment"'
    assert store.counters().get("created", 0) == before


@pytest.mark.parametrize("headers", [
    {"Authorization": "Bearer " + KEY_A[:-1] + ("x" if KEY_A[-1] != "x" else "y")},  # wrong secret
    {"Authorization": "Bearer gamma." + KEY_A.partition(".")[2]},                     # unknown id
    {"Authorization": "Bearer " + LINE_A},                                            # the stored line
    {"Authorization": "Bearer " + LINE_A.partition(":")[2]},                          # the hash itself
    {"Authorization": "Basic " + KEY_A},
    {"Authorization": "Bearer"},
    {"Authorization": ""},
    {"X-API-Key": "alpha."},
], ids=["wrong-secret", "unknown-id", "stored-line", "hash", "basic-scheme", "bearer-empty",
        "authorization-empty", "x-api-key-no-secret"])
def test_a_key_that_is_not_valid_is_401(keyed, check, headers):
    resp = keyed.get("/v1/steps", headers=headers)
    problem = check(resp)
    assert resp.status_code == 401 and problem["type"] == "/problems/unauthorized"
    assert resp.headers["WWW-Authenticate"].startswith('Bearer realm="enrichment"')


def test_bearer_and_x_api_key_are_accepted(keyed, check):
    for headers in (bearer(KEY_A), {"authorization": f"bearer  {KEY_B} "}, {"X-API-Key": KEY_A}):
        resp = keyed.get("/v1/steps", headers=headers)
        check(resp)
        assert resp.status_code == 200, headers


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/openapi.yaml", "/docs",
                                  "/docs/init.js"])
def test_operations_endpoints_stay_open(keyed, check, path):
    resp = keyed.get(path)
    check(resp)
    assert resp.status_code in ((200, 503) if path == "/readyz" else (200,))


def test_metrics_can_require_a_key(settings, check):
    from service.app import create_app
    client = create_app(replace(settings, api_keys=LINE_A, metrics_require_key=True)).test_client()
    resp = client.get("/metrics")
    check(resp)
    assert resp.status_code == 401
    resp = client.get("/metrics", headers=bearer(KEY_A))
    check(resp)
    assert resp.status_code == 200


def test_a_key_reads_only_its_own_jobs(keyed, keyed_app, check, settings):
    from service.app import create_app
    job = submit(keyed, check, KEY_A)
    jid = job["id"]
    store = keyed_app.extensions["job_store"]
    assert store.get(jid)["owner"] == "key:alpha"
    unknown = check(keyed.get(f"/v1/jobs/{UNKNOWN_ID}", headers=bearer(KEY_B)))
    for method, path in (("get", f"/v1/jobs/{jid}"), ("get", f"/v1/jobs/{jid}/result"),
                         ("delete", f"/v1/jobs/{jid}")):
        resp = getattr(keyed, method)(path, headers=bearer(KEY_B))
        problem = check(resp)
        # Another key's job looks exactly like one that does not exist: never a 403.
        assert resp.status_code == 404, (method, path, problem)
        assert problem == unknown
    # Without keys (another deployment on the same Redis) nobody else sees it either.
    anonymous = create_app(settings).test_client()
    resp = anonymous.get(f"/v1/jobs/{jid}")
    check(resp)
    assert resp.status_code == 404
    resp = keyed.get(f"/v1/jobs/{jid}", headers=bearer(KEY_A))
    assert check(resp)["id"] == jid and resp.status_code == 200
    assert store.get(jid) is not None  # B's DELETE did nothing
    resp = keyed.delete(f"/v1/jobs/{jid}", headers=bearer(KEY_A))
    check(resp)
    assert resp.status_code == 204


def test_idempotency_keys_are_per_api_key(keyed, check):
    idem = {"Idempotency-Key": f"sec-{secrets.token_hex(8)}"}
    body = {"text": A, "metadata": {"n": 1}}
    a = submit(keyed, check, KEY_A, body, idem)
    b = submit(keyed, check, KEY_B, body, idem)
    assert a["id"] != b["id"], "another key's Idempotency-Key replayed someone else's job"
    for key in (KEY_A, KEY_B):
        keyed.delete(f"/v1/jobs/{a['id'] if key == KEY_A else b['id']}", headers=bearer(key))


def test_a_job_runs_end_to_end_with_keys_on(keyed, check, celery_worker):
    resp = post_json(keyed, "/v1/jobs?wait=30", {"text": A, "steps": ["segmentation"]}, bearer(KEY_A))
    job = check(resp)
    assert resp.status_code == 200 and job["status"] == "succeeded", job
    resp = keyed.get(f"/v1/jobs/{job['id']}/result", headers=bearer(KEY_A))
    assert check(resp)["document"]["text"] == A


def test_only_hashes_are_configured_and_bad_config_stops_the_api(settings, tmp_path):
    from service.app import create_app
    key, line = new_key()
    ring = KeyRing.from_settings(replace(settings, api_keys=line))
    assert key not in repr(ring) and ring.identify(key) == line.partition(":")[0]
    keys_file = tmp_path / "keys"
    keys_file.write_text(f"# newsroom\n{LINE_A}\n\n{LINE_B}  # archive\n")
    assert set(KeyRing.from_settings(replace(settings, api_keys_file=str(keys_file))).digests) == \
        {"alpha", "beta"}
    with pytest.raises(SystemExit, match="AUTH_REQUIRED"):
        create_app(replace(settings, auth_required=True))
    with pytest.raises(SystemExit) as exc:  # a raw key pasted in place of its line
        create_app(replace(settings, api_keys=KEY_A))
    assert KEY_A not in str(exc.value) and KEY_A.partition(".")[2] not in str(exc.value)
    with pytest.raises(SystemExit, match="twice"):
        create_app(replace(settings, api_keys=f"{LINE_A} {LINE_A}"))
    assert parse_entries("") == {}


def test_keys_command_prints_a_working_key():
    out = subprocess.run([str(VENV_BIN / "python"), "-m", "service.keys", "new", "--id", "desk"],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    key = re.search(r"^key:\s+(\S+)$", out, re.M).group(1)
    line = re.search(r"^line:\s+(\S+)$", out, re.M).group(1)
    assert KeyRing(parse_entries(line)).identify(key) == "desk"
    out = subprocess.run([str(VENV_BIN / "python"), "-m", "service.keys", "hash", key],
                         cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == line


# -- rate limits -----------------------------------------------------------------------------

def limited_app(settings, **overrides):
    from service.app import create_app
    return create_app(replace(settings, key_prefix=f"sec-{secrets.token_hex(4)}:", **overrides))


def test_rate_limit_per_key_gives_429_with_retry_after(settings, check):
    client = limited_app(settings, api_keys=f"{LINE_A},{LINE_B}", rate_limit="3/minute").test_client()
    for _ in range(3):
        resp = client.get("/v1/steps", headers=bearer(KEY_A))
        check(resp)
        assert resp.status_code == 200
    for method, path in (("get", "/v1/steps"), ("get", f"/v1/jobs/{UNKNOWN_ID}"),
                         ("post", "/v1/jobs")):
        resp = getattr(client, method)(path, headers=bearer(KEY_A))
        problem = check(resp)
        assert resp.status_code == 429, problem
        assert problem["type"] == "/problems/rate-limited"
        assert 1 <= int(resp.headers["Retry-After"]) <= 60
    resp = client.get("/v1/steps", headers=bearer(KEY_B))  # B has its own budget
    check(resp)
    assert resp.status_code == 200
    for _ in range(5):  # operations endpoints are never limited
        assert client.get("/healthz").status_code == 200


def test_rate_limit_per_client_address_when_keys_are_off(settings, check):
    client = limited_app(settings, rate_limit="2/minute").test_client()
    first = {"REMOTE_ADDR": "192.0.2.1"}
    for _ in range(2):
        assert client.get("/v1/steps", environ_base=first).status_code == 200
    resp = client.get("/v1/steps", environ_base=first)
    check(resp)
    assert resp.status_code == 429 and resp.headers["Retry-After"].isdigit()
    resp = client.get("/v1/steps", environ_base={"REMOTE_ADDR": "192.0.2.2"})
    assert resp.status_code == 200


def test_a_bad_rate_limit_setting_stops_the_api(settings):
    with pytest.raises(SystemExit, match="RATE_LIMIT"):
        limited_app(settings, rate_limit="lots")


# -- size limits the bad-input catalogue does not cover ---------------------------------------

def test_batch_item_metadata_and_batch_body_limits(settings, client, check):
    big = {"articles": [{"text": A}, {"text": A, "metadata": {"k": "x" * 5000}}]}
    resp = post_json(client, "/v1/batches", big)
    problem = check(resp)
    assert resp.status_code == 413 and "articles.1.metadata" in [e["field"] for e in problem["errors"]]
    small = limited_app(settings, max_body_bytes=1000).test_client()
    resp = post_json(small, "/v1/batches", {"articles": [{"text": "ب" * 600}]})
    assert check(resp)["type"] == "/problems/too-large" and resp.status_code == 413


# -- job ids ----------------------------------------------------------------------------------

def test_job_ids_are_128_random_bits():
    import inspect

    from jobs.store import new_job_id
    assert "secrets.token_hex(16)" in inspect.getsource(new_job_id)
    ids = [new_job_id() for _ in range(4000)]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    # Every hex digit shows up in every position: no counter, clock or fixed part.
    for pos in range(32):
        assert len({i[pos] for i in ids}) == 16, pos


# -- what errors and headers reveal -----------------------------------------------------------

def test_an_unexpected_error_reveals_nothing(settings, check):
    from service.app import create_app

    def broken_enqueue(*_args):
        raise RuntimeError(f"boom in {ROOT}/service/secret.py, redis 7.2.4, key {KEY_A}")

    client = create_app(settings, enqueue=broken_enqueue).test_client()
    resp = post_json(client, "/v1/jobs", {"text": A})
    problem = check(resp)
    body = resp.get_data(as_text=True)
    assert resp.status_code == 500 and problem["type"] == "/problems/internal-error"
    for leak in ("boom", str(ROOT), "secret.py", "7.2.4", KEY_A, "Traceback", "RuntimeError"):
        assert leak not in body
    for name, value in resp.headers.items():
        assert "werkzeug" not in value.lower() and "python" not in value.lower(), (name, value)


def test_security_headers(client, check):
    for path in ("/v1/steps", f"/v1/jobs/{UNKNOWN_ID}", "/healthz", "/nope"):
        resp = client.get(path)
        check(resp)
        h = resp.headers
        assert h["X-Content-Type-Options"] == "nosniff"
        assert h["Referrer-Policy"] == "no-referrer"
        assert h["X-Frame-Options"] == "DENY"
        assert "default-src 'none'" in h["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in h["Content-Security-Policy"]
        if path.startswith("/v1/"):
            assert h["Cache-Control"] == "no-store"


def test_docs_page_works_under_its_csp(client, check):
    resp = client.get("/docs")
    check(resp)
    csp = dict(part.strip().split(" ", 1) for part in resp.headers["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self'"                  # no inline script, no CDN
    assert "connect-src" in csp and "'self'" in csp["connect-src"]  # fetches /openapi.yaml
    html = resp.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="/docs/' in attrs and not body.strip() for attrs, body in scripts)
    for attrs, _ in scripts:
        src = re.search(r'src="([^"]+)"', attrs).group(1)
        asset = client.get(src)
        check(asset)
        assert asset.status_code == 200 and asset.headers["X-Content-Type-Options"] == "nosniff"
    assert "/openapi.yaml" in client.get("/docs/init.js").get_data(as_text=True)


# -- over real HTTP, under gunicorn with its config file ---------------------------------------

@pytest.fixture(scope="module")
def gunicorn_keyed(service_env, service_tmp):
    """The API alone (no worker needed) under gunicorn, keys on, a low rate limit."""
    env = {**service_env, "API_KEYS": f"{LINE_A},{LINE_B}", "AUTH_REQUIRED": "true", "RATE_LIMIT": "20/minute",
           "KEY_PREFIX": f"sec-http-{secrets.token_hex(4)}:", "ACCESS_LOG": "-"}
    api = Api(env, service_tmp / "gunicorn-security.log", workers=1)
    api.start()
    yield api.base, api.log
    api.stop(grace=10)


def test_over_http_keys_server_header_and_logs(gunicorn_keyed, check):
    import requests

    from enrichment_client import ApiError, EnrichmentClient
    base, log = gunicorn_keyed
    resp = requests.get(base + "/v1/steps", timeout=5)
    check(resp)
    assert resp.status_code == 401 and "WWW-Authenticate" in resp.headers
    server = resp.headers.get("Server", "")
    assert not re.search(r"\d", server), f"Server header reveals a version: {server!r}"
    marker = f"ARTICLE-TEXT-{secrets.token_hex(6)}"
    # The project's client sends the key as a bearer token.
    client = EnrichmentClient(base, api_key=KEY_A, timeout=10)
    job = client.submit(f"{A} {marker}")
    assert client.get(job["id"])["id"] == job["id"]
    with pytest.raises(ApiError) as err:
        EnrichmentClient(base, api_key=KEY_B, timeout=10).get(job["id"])
    assert err.value.status == 404

    def job_reads():
        # gunicorn writes an access line just after the response: allow it a moment.
        text = log.read_text(errors="replace")
        lines = [json.loads(ln) for ln in text.splitlines() if ln.startswith("{")]
        reads = [ln for ln in lines if ln["logger"] == "gunicorn.access"
                 and ln.get("job_id") == job["id"]]
        return text, lines, reads

    deadline = time.monotonic() + 10
    text, lines, reads = job_reads()
    while len(reads) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
        text, lines, reads = job_reads()
    assert marker not in text and KEY_A not in text and KEY_B not in text
    accepted = [ln for ln in lines if ln["msg"] == "jobs accepted"]
    assert accepted and accepted[-1]["job_ids"] == [job["id"]]
    # gunicorn's access lines are JSON too, and a job's URL puts its id on the line.
    assert sorted((ln["method"], ln["status"]) for ln in reads) == \
        [("GET", 200), ("GET", 404), ("POST", 202)], reads
    assert any(ln["logger"] == "gunicorn.error" for ln in lines)  # the master's lines


def test_rate_limiter_with_redis_down_fails_open_and_submit_is_503(settings, check):
    from service.app import create_app
    dead = replace(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0", rate_limit="1/minute")
    client = create_app(dead, enqueue=lambda *a: None).test_client()
    for _ in range(2):
        resp = client.get("/v1/steps")
        check(resp)
        assert resp.status_code == 200
    resp = post_json(client, "/v1/jobs", {"text": A})
    check(resp)
    assert resp.status_code == 503 and resp.headers["Retry-After"].isdigit()


def test_compose_file_turns_keys_and_rate_limits_on():
    import yaml
    env = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]["api"]["environment"]
    assert env["AUTH_REQUIRED"] == "true" and "API_KEYS" in env
    from limits import parse_many
    default = re.fullmatch(r"\$\{RATE_LIMIT:-(.+)\}", env["RATE_LIMIT"]).group(1)
    assert parse_many(default)


def test_keys_are_compared_in_constant_time_even_for_unknown_ids(monkeypatch):
    """Every check goes through hmac.compare_digest, also for an id that does not exist (a
    dummy digest), so neither the id nor a digest prefix can be found by timing."""
    import hmac

    from service import auth
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    ring = KeyRing(parse_entries(LINE_A))
    assert ring.identify(KEY_A) == "alpha"
    assert ring.identify("gamma." + KEY_A.partition(".")[2]) is None
    assert ring.identify("no-dot-at-all") is None
    assert len(calls) == 3 and all(len(a) == len(b) == 64 for a, b in calls)


def test_article_budget_counts_every_article_of_a_batch(settings, check):
    from service.app import create_app
    app = create_app(replace(settings, key_prefix=f"sec-{secrets.token_hex(4)}:",
                             api_keys=f"{LINE_A},{LINE_B}", rate_limit_articles="5/minute"),
                     enqueue=lambda *a: None)  # records only: nothing needs to run
    client = app.test_client()
    three = {"articles": [{"text": A}] * 3}
    resp = post_json(client, "/v1/batches", three, bearer(KEY_A))
    check(resp)
    assert resp.status_code == 202
    store = app.extensions["job_store"]
    before = store.counters().get("created", 0)
    resp = post_json(client, "/v1/batches", three, bearer(KEY_A))   # 6 > 5
    problem = check(resp)
    assert resp.status_code == 429 and problem["type"] == "/problems/rate-limited", problem
    assert resp.headers["Retry-After"].isdigit()
    assert store.counters().get("created", 0) == before            # nothing accepted
    for _ in range(2):                                             # 4, 5: still room
        resp = post_json(client, "/v1/jobs", {"text": A}, bearer(KEY_A))
        check(resp)
        assert resp.status_code == 202
    resp = post_json(client, "/v1/jobs", {"text": A}, bearer(KEY_A))
    check(resp)
    assert resp.status_code == 429
    resp = post_json(client, "/v1/batches", three, bearer(KEY_B))   # B's own budget
    check(resp)
    assert resp.status_code == 202
    resp = client.get("/v1/steps", headers=bearer(KEY_A))           # reads are not articles
    check(resp)
    assert resp.status_code == 200
