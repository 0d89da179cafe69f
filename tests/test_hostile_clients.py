"""Hostile clients over real sockets, against the API under gunicorn with its config file
(the same file `make run` and the compose file use): slow senders and long-polls do not
block the API, a body must arrive in time (408) and within its size whether chunked or not
(413), gunicorn's own error answers are problem documents with the security headers, and
query strings never reach the access log.

No worker is needed: submitted jobs stay queued. Every wait here is bounded by a socket
or request timeout, so the module ends in bounded time even if the API were blocked.
"""
from __future__ import annotations

import json
import secrets
import socket
import subprocess
import threading
import time

import pytest

from tests.conftest import ROOT, VENV_BIN, _wait_for, free_port, stop_process

A = "قال الرئيس إن العلاقات جيدة."
BODY_TIMEOUT = 6          # REQUEST_BODY_TIMEOUT of this module's API
MAX_BODY = 200_000        # MAX_BODY_BYTES of this module's API
SLOW_CLIENTS = 24         # more than the 2 x 8 threads the API used to have
LONG_POLLS = 20
ANSWER_WITHIN = 5         # seconds a request may take while the API is under attack


@pytest.fixture(scope="module")
def api(service_env, service_tmp):
    import requests
    port = free_port()
    log = service_tmp / "gunicorn-hostile.log"
    access = service_tmp / "gunicorn-hostile-access.log"
    env = {**service_env, "REQUEST_BODY_TIMEOUT": str(BODY_TIMEOUT), "MAX_BODY_BYTES": str(MAX_BODY),
           "KEY_PREFIX": f"hostile-{secrets.token_hex(4)}:", "ACCESS_LOG": str(access),
           "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "service" / "gunicorn.conf.py"), "service.wsgi:app"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    _wait_for(lambda: requests.get(base + "/healthz", timeout=1).status_code == 200, 60, "gunicorn", proc, log)
    yield {"base": base, "port": port, "log": log, "access": access}
    stop_process(proc, grace=10)


def slow_sender(port: int, length: int = 100_000) -> socket.socket:
    """A POST whose headers are sent at once and whose body will come a byte at a time."""
    s = socket.create_connection(("127.0.0.1", port), timeout=BODY_TIMEOUT + 10)
    s.sendall((f"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               f"Content-Length: {length}\r\n\r\n").encode())
    return s


def read_response(s: socket.socket) -> tuple[int, dict, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), headers, body


def submit(base: str, check, timeout: float = ANSWER_WITHIN):
    import requests
    resp = requests.post(base + "/v1/jobs", json={"text": A}, timeout=timeout)
    check(resp)
    return resp


def test_slow_senders_and_long_polls_do_not_block_the_api(api, check):
    import requests
    base = api["base"]
    queued = submit(base, check).json()["id"]
    senders = [slow_sender(api["port"]) for _ in range(SLOW_CLIENTS)]
    stop = threading.Event()

    def drip():
        while not stop.is_set():
            for s in senders:
                try:
                    s.send(b" ")
                except OSError:
                    pass
            stop.wait(1)

    polls: list = []

    def long_poll():
        try:
            polls.append(requests.get(f"{base}/v1/jobs/{queued}?wait=30", timeout=40).status_code)
        except requests.RequestException as exc:
            polls.append(exc)

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    pollers = [threading.Thread(target=long_poll, daemon=True) for _ in range(LONG_POLLS)]
    for t in pollers:
        t.start()
    try:
        time.sleep(1.5)  # every slow sender and long-poll is now in the API
        assert not polls, "a long-poll ended before its job did"
        # The API still answers, within a bound, while all of them are held.
        health = requests.get(base + "/healthz", timeout=ANSWER_WITHIN)
        check(health)
        assert health.status_code == 200
        assert submit(base, check).status_code == 202
        assert requests.get(f"{base}/v1/jobs/{queued}", timeout=ANSWER_WITHIN).status_code == 200
    finally:
        # Deleting the job wakes its long-polls; the slow senders are dropped.
        requests.delete(f"{base}/v1/jobs/{queued}", timeout=ANSWER_WITHIN)
        stop.set()
        dripper.join(5)
        for s in senders:
            s.close()
    for t in pollers:
        t.join(15)
    assert polls == [200] * LONG_POLLS


def test_a_body_not_received_in_time_is_408(api, check):
    s = slow_sender(api["port"], length=1000)
    try:
        s.settimeout(1)
        deadline = time.monotonic() + BODY_TIMEOUT + 10
        status = None
        while time.monotonic() < deadline:
            try:
                s.send(b" ")
            except OSError:
                break
            try:
                if s.recv(1, socket.MSG_PEEK):
                    break
            except socket.timeout:
                continue
        s.settimeout(5)
        status, headers, body = read_response(s)
    finally:
        s.close()
    assert status == 408
    assert headers["content-type"].startswith("application/problem+json")
    check._check_problem(status, headers["content-type"], json.loads(body))
    assert json.loads(body)["type"] == "/problems/request-timeout"


def _chunked(body: bytes, size: int = 16384) -> bytes:
    out = b""
    for i in range(0, len(body), size):
        part = body[i:i + size]
        out += f"{len(part):x}\r\n".encode() + part + b"\r\n"
    return out + b"0\r\n\r\n"


def _post_chunked(port: int, body: bytes) -> tuple[int, dict, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=20) as s:
        s.sendall(b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
        try:
            s.sendall(_chunked(body))
        except OSError:
            pass  # the server may answer and close before the whole body is sent
        return read_response(s)


def test_chunked_bodies_are_counted_like_any_other(api, check):
    small = json.dumps({"text": A}, ensure_ascii=False).encode()
    status, headers, body = _post_chunked(api["port"], small)
    assert status == 202 and json.loads(body)["status"] == "queued"
    # Over MAX_BODY_BYTES: 413, never a body cut at the limit and then judged.
    big = json.dumps({"text": A, "metadata": {"pad": "x" * (MAX_BODY + 10)}}).encode()
    status, headers, body = _post_chunked(api["port"], big)
    assert status == 413
    check._check_problem(status, headers["content-type"], json.loads(body))
    # Exactly at the limit is not over it (the body is then judged: here too large a metadata).
    exact = json.dumps({"text": A, "metadata": {"pad": ""}}).encode()
    exact = exact.replace(b'"pad": ""', b'"pad": "' + b"x" * (MAX_BODY - len(exact)) + b'"')
    assert len(exact) == MAX_BODY
    status, headers, body = _post_chunked(api["port"], exact)
    assert status == 413 and json.loads(body)["errors"][0]["field"] == "metadata"


SECURITY_HEADERS = ("x-content-type-options", "content-security-policy", "x-frame-options",
                    "referrer-policy", "cache-control")


@pytest.mark.parametrize("name, request_bytes, status", [
    ("header-too-large", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431),
    ("request-line-too-long", b"GET /healthz?" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    ("malformed-request-line", b"GET\x01 / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("bad-chunk-size", b"POST /v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", 400),
])
def test_server_level_errors_are_problem_documents(api, check, name, request_bytes, status):
    with socket.create_connection(("127.0.0.1", api["port"]), timeout=10) as s:
        s.sendall(request_bytes)
        got, headers, body = read_response(s)
    assert got == status, name
    check._check_problem(got, headers.get("content-type", ""), json.loads(body))
    for header in SECURITY_HEADERS:
        assert header in headers, f"{name}: no {header}"
    assert b"a" * 100 not in body, "the detail quotes the request"


def test_query_strings_never_reach_the_access_log(api, check):
    import requests
    secret = f"key-{secrets.token_hex(8)}"
    resp = requests.get(f"{api['base']}/v1/steps?api_key={secret}", timeout=5)
    check(resp)
    requests.get(f"{api['base']}/healthz?token={secret}", headers={"Referer": f"http://x/?k={secret}"},
                 timeout=5)
    deadline = time.monotonic() + 10
    while "/healthz" not in api["access"].read_text(errors="replace") and time.monotonic() < deadline:
        time.sleep(0.1)
    # A request line gunicorn refuses is quoted in its error log: without its query string.
    with socket.create_connection(("127.0.0.1", api["port"]), timeout=10) as s:
        s.sendall(f"GET /v1/steps?api_key={secret} HTTP/1.1 junk\r\nHost: x\r\n\r\n".encode())
        assert read_response(s)[0] == 400
    deadline = time.monotonic() + 10
    while "Invalid request" not in api["log"].read_text(errors="replace") and time.monotonic() < deadline:
        time.sleep(0.1)
    logged = api["access"].read_text(errors="replace") + api["log"].read_text(errors="replace")
    assert "/v1/steps" in logged and "Invalid request" in logged and secret not in logged


# -- long-polls held at once, per process ---------------------------------------------------

def monitored(redis_url: str, action) -> list[str]:
    """The Redis commands (MONITOR lines) sent while ``action()`` ran."""
    import redis
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    sentinel = f"end-{secrets.token_hex(6)}"
    seen: list[str] = []
    ready = threading.Event()

    def listen():
        with client.monitor() as m:
            ready.set()
            for cmd in m.listen():
                if sentinel in cmd["command"]:
                    return
                seen.append(cmd["command"])

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    ready.wait(5)
    time.sleep(0.2)  # MONITOR is on once its reply is read
    try:
        action()
    finally:
        client.echo(sentinel)
        t.join(10)
    return seen


def test_long_polls_beyond_max_waiters_are_answered_at_once(settings, check, redis_server):
    from dataclasses import replace

    from service.app import create_app
    app = create_app(replace(settings, max_waiters=1, key_prefix=f"waiters-{secrets.token_hex(4)}:"),
                     enqueue=lambda job_id, steps: None)
    client = app.test_client()
    job = check(client.post("/v1/jobs", json={"text": A}))
    waiters = app.extensions["waiters"]
    assert waiters.acquire(blocking=False)  # the one long-poll this process may hold
    try:
        answers = []
        commands = monitored(redis_server, lambda: answers.append(client.get(f"/v1/jobs/{job['id']}?wait=30")))
    finally:
        waiters.release()
    resp = answers[0]
    assert check(resp)["status"] == "queued" and resp.status_code == 200
    assert resp.headers["Retry-After"].isdigit()
    assert not [c for c in commands if c.upper().startswith(("BLMOVE", "BRPOPLPUSH"))], \
        "a long-poll beyond MAX_WAITERS still blocked in Redis"
