"""Limits on work, not only on bytes (docs/security.md, "Bounded cost"): words per article,
members per body, field errors listed up to a bound, nesting depth, and a full Redis
(maxmemory, noeviction) answered 503 with nothing evicted. The real app on a real Redis."""
from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from dataclasses import replace

import pytest

from service.routes import MAX_FIELD_ERRORS, MAX_JSON_DEPTH
from tests.conftest import _wait_for, free_port, stop_process

A = "قال الرئيس إن العلاقات جيدة."


def post(client, path, body: str):
    return client.post(path, data=body.encode("utf-8", "surrogatepass"), content_type="application/json")


def test_too_many_words_is_413_at_submit(client, check, settings):
    limit = settings.max_article_words
    # 1.5 MB of one-letter words: under the character limit, 25 times the word limit.
    resp = post(client, "/v1/jobs", json.dumps({"html": "<p>" + "ب " * 499_990 + "</p>"}, ensure_ascii=False))
    problem = check(resp)
    assert resp.status_code == 413 and problem["errors"] == [{"field": "html", "message": f"at most {limit} words"}]
    resp = post(client, "/v1/jobs", json.dumps({"text": "ب " * (limit + 1)}, ensure_ascii=False))
    assert resp.status_code == 413 and check(resp)["errors"][0]["field"] == "text"
    # Tags are not words.
    resp = post(client, "/v1/batches", json.dumps(
        {"articles": [{"text": A}, {"html": "<b></b>" * (limit + 1) + "<p>" + A + "</p>"}]}, ensure_ascii=False))
    check(resp)
    assert resp.status_code == 202


def test_exactly_the_word_limit_is_accepted(settings, check):
    from service.app import create_app
    app = create_app(replace(settings, max_article_words=50), enqueue=lambda job_id, steps: None)
    client = app.test_client()
    resp = post(client, "/v1/jobs", json.dumps({"text": "كلمة " * 50}, ensure_ascii=False))
    assert resp.status_code == 202, check(resp)
    resp = post(client, "/v1/batches", json.dumps({"articles": [{"text": A}, {"text": "كلمة " * 51}]},
                                                  ensure_ascii=False))
    assert resp.status_code == 413 and check(resp)["errors"][0]["field"] == "articles.1.text"


def test_html_without_any_text_is_refused(client, check):
    resp = post(client, "/v1/jobs", json.dumps({"html": "<div><img src='x'></div>"}))
    assert resp.status_code == 422 and check(resp)["errors"][0]["field"] == "html"


def test_a_body_of_tiny_members_is_refused_unparsed(client, check, settings):
    members = 1000 * settings.max_batch
    body = "{" + ",".join(f'"f{i}":1' for i in range(members + 1)) + f',"text":"{A}"}}'
    resp = post(client, "/v1/jobs", body)
    assert resp.status_code == 413 and check(resp)["type"] == "/problems/too-large"


@pytest.mark.parametrize("path, wrap", [("/v1/jobs", lambda a: a), ("/v1/batches", lambda a: {"articles": [a]})])
def test_field_errors_are_listed_up_to_a_bound(client, check, path, wrap):
    article = {"text": A, **{f"unknown{i}": i for i in range(5000)}}
    resp = post(client, path, json.dumps(wrap(article)))
    problem = check(resp)
    assert resp.status_code == 422 and len(problem["errors"]) == MAX_FIELD_ERRORS
    assert "of 5000 errors" in problem["detail"] and len(resp.get_data()) < 5000
    assert all(e["message"] == "Unknown field." for e in problem["errors"])
    # A steps list longer than any valid one is refused before it is validated item by item.
    resp = post(client, path, json.dumps(wrap({"text": A, "steps": ["x" * 65] * 100_000})))
    assert resp.status_code == 422 and len(check(resp)["errors"]) == 1


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH, 100, 965, 975, 5000])
@pytest.mark.parametrize("path", ["/v1/jobs", "/v1/batches"])
def test_nesting_at_any_depth_is_a_4xx(client, check, path, depth):
    nested = "[" * depth + "]" * depth
    body = {"text": A, "metadata": {"k": json.loads(nested) if depth < 900 else None}}
    raw = json.dumps(body if path == "/v1/jobs" else {"articles": [body]})
    if depth >= 900:
        raw = raw.replace("null", nested)
    resp = post(client, path, raw)
    check(resp)
    # The article is 1 level, metadata 2, the array from 3 (a batch adds 2 levels).
    levels = depth + 2 + (2 if path == "/v1/batches" else 0)
    if levels <= MAX_JSON_DEPTH:
        assert resp.status_code == 202
    else:
        assert resp.status_code in (400, 413, 422), resp.status_code


@pytest.fixture()
def small_redis(service_tmp):
    binary = shutil.which("redis-server")
    port = free_port()
    data = service_tmp / f"redis-small-{port}"
    data.mkdir()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(data), "--maxmemory-policy", "noeviction"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
    import redis
    url = f"redis://127.0.0.1:{port}/0"
    _wait_for(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping, 15, "redis-server", proc)
    yield url
    stop_process(proc, grace=5)


def test_a_full_redis_is_503_and_evicts_nothing(settings, small_redis, check):
    import redis

    from service.app import create_app
    app = create_app(replace(settings, redis_url=small_redis, key_prefix=f"full-{secrets.token_hex(4)}:"))
    client = app.test_client()
    job = check(post(client, "/v1/jobs", json.dumps({"text": A})))
    r = redis.Redis.from_url(small_redis)
    r.config_set("maxmemory", 1)  # below what is used: every write is refused
    try:
        resp = post(client, "/v1/jobs", json.dumps({"text": A}))
        problem = check(resp)
        assert resp.status_code == 503 and problem["type"] == "/problems/service-unavailable"
        assert resp.headers["Retry-After"].isdigit()
        # Reads still work, and the accepted job is still there.
        resp = client.get(f"/v1/jobs/{job['id']}")
        assert resp.status_code == 200 and check(resp)["id"] == job["id"]
    finally:
        r.config_set("maxmemory", 0)
