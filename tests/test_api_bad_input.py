"""The bad-input catalogue: each case gets the right 4xx and a problem document that
validates against openapi.yaml, and no job is created. Decisions recorded here (and in
docs/service.md): unknown fields are refused (422); every size limit is a 413; a body
that is JSON but not an object is a 422; a malformed job id is a 404 like an unknown one.
"""
from __future__ import annotations

import json

import pytest

A = "قال الرئيس إن العلاقات جيدة."
JOB = "/v1/jobs"
BATCH = "/v1/batches"
UNKNOWN_ID = "0123456789abcdef0123456789abcdef"


def j(obj) -> dict:
    return {"data": json.dumps(obj, ensure_ascii=False).encode("utf-8"),
            "content_type": "application/json"}


def raw(data: bytes, ctype: str | None = "application/json") -> dict:
    return {"data": data, **({"content_type": ctype} if ctype else {})}


# (id, method, path, request kwargs, status, problem slug, field named in errors or None)
CASES = [
    ("no-body", "post", JOB, raw(b""), 400, "body-required", None),
    ("no-body-no-content-type", "post", JOB, raw(b"", None), 400, "body-required", None),
    ("malformed-json", "post", JOB, raw(b'{"text": '), 400, "malformed-json", None),
    ("trailing-garbage", "post", JOB, raw(b'{"text": "x"} y'), 400, "malformed-json", None),
    ("nan-literal", "post", JOB, raw(b'{"text": "x", "metadata": {"a": NaN}}'), 400, "malformed-json", None),
    ("duplicate-keys", "post", JOB, raw(b'{"text": "a", "text": "b"}'), 400, "malformed-json", None),
    ("nested-too-deep", "post", JOB, raw(b'{"text": "a", "metadata": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
     400, "malformed-json", None),
    ("number-too-long", "post", JOB, raw(b'{"text": "a", "metadata": {"n": ' + b"9" * 5000 + b"}}"),
     400, "malformed-json", None),
    ("unknown-field-lone-surrogate", "post", JOB, raw(b'{"text": "a", "st\\ud800eps": 1}'), 422,
     "validation-error", None),
    ("batch-unknown-field-lone-surrogate", "post", BATCH,
     raw(b'{"articles": [{"text": "a", "x\\udfff": 1}]}'), 422, "validation-error", None),
    ("content-type-text-plain", "post", JOB, raw(A.encode(), "text/plain"), 415, "unsupported-media-type", None),
    ("content-type-form", "post", JOB, raw(b"text=x", "application/x-www-form-urlencoded"), 415,
     "unsupported-media-type", None),
    ("charset-latin1", "post", JOB, raw(b'{"text": "x"}', "application/json; charset=latin-1"), 415,
     "unsupported-media-type", None),
    ("invalid-utf8", "post", JOB, raw(b'{"text": "\xff\xfe abc"}'), 400, "invalid-utf8", None),
    ("body-is-array", "post", JOB, j([{"text": A}]), 422, "validation-error", None),
    ("body-is-string", "post", JOB, j("hello"), 422, "validation-error", None),
    ("text-not-string", "post", JOB, j({"text": 42}), 422, "validation-error", "text"),
    ("text-null", "post", JOB, j({"text": None}), 422, "validation-error", "text"),
    ("text-list", "post", JOB, j({"text": [A]}), 422, "validation-error", "text"),
    ("text-empty", "post", JOB, j({"text": ""}), 422, "validation-error", "text"),
    ("text-whitespace", "post", JOB, j({"text": " \n\t\u00a0 "}), 422, "validation-error", "text"),
    ("text-over-limit", "post", JOB, j({"text": "ب" * 100_001}), 413, "too-large", "text"),
    ("html-over-limit", "post", JOB, j({"html": "<p>" + "ب" * 1_000_001 + "</p>"}), 413, "too-large", "html"),
    ("text-nul", "post", JOB, j({"text": A + "\x00" + A}), 422, "validation-error", "text"),
    ("text-lone-surrogate", "post", JOB, raw(b'{"text": "abc \\ud800 def"}'), 422, "validation-error", "text"),
    ("text-and-html", "post", JOB, j({"text": A, "html": "<p>x</p>"}), 422, "validation-error", "_body"),
    ("neither-text-nor-html", "post", JOB, j({"title": "t"}), 422, "validation-error", "_body"),
    ("unknown-step", "post", JOB, j({"text": A, "steps": ["sentiment"]}), 422, "unknown-step", "steps"),
    ("steps-not-list", "post", JOB, j({"text": A, "steps": "entities"}), 422, "validation-error", "steps"),
    ("steps-empty", "post", JOB, j({"text": A, "steps": []}), 422, "validation-error", "steps"),
    ("steps-repeated", "post", JOB, j({"text": A, "steps": ["entities", "entities"]}), 422,
     "validation-error", "steps"),
    ("steps-item-not-string", "post", JOB, j({"text": A, "steps": [1]}), 422, "validation-error", "steps.0"),
    ("unknown-field", "post", JOB, j({"text": A, "lang": "ar"}), 422, "validation-error", "lang"),
    ("metadata-oversized", "post", JOB, j({"text": A, "metadata": {"k": "x" * 5000}}), 413, "too-large",
     "metadata"),
    ("metadata-not-object", "post", JOB, j({"text": A, "metadata": [1, 2]}), 422, "validation-error",
     "metadata"),
    ("url-not-http", "post", JOB, j({"text": A, "url": "ftp://example.com/a"}), 422, "validation-error", "url"),
    ("published-at-not-date", "post", JOB, j({"text": A, "published_at": "yesterday"}), 422,
     "validation-error", "published_at"),
    ("title-too-long", "post", JOB, j({"text": A, "title": "t" * 1001}), 422, "validation-error", "title"),
    ("source-not-string", "post", JOB, j({"text": A, "source": {"name": "x"}}), 422, "validation-error",
     "source"),
    ("idempotency-key-too-long", "post", JOB, {**j({"text": A}), "headers": {"Idempotency-Key": "k" * 256}},
     400, "invalid-idempotency-key", None),
    ("idempotency-key-blank", "post", JOB, {**j({"text": A}), "headers": {"Idempotency-Key": "   "}},
     400, "invalid-idempotency-key", None),
    ("wait-not-integer", "post", JOB + "?wait=soon", j({"text": A}), 400, "invalid-parameter", "wait"),
    ("wait-negative", "post", JOB + "?wait=-1", j({"text": A}), 400, "invalid-parameter", "wait"),
    ("wait-too-long", "post", JOB + "?wait=31", j({"text": A}), 400, "invalid-parameter", "wait"),
    ("job-unknown", "get", f"{JOB}/{UNKNOWN_ID}", {}, 404, "not-found", None),
    ("job-malformed-id", "get", f"{JOB}/not-a-job", {}, 404, "not-found", None),
    ("job-id-uppercase", "get", f"{JOB}/{UNKNOWN_ID.upper()}", {}, 404, "not-found", None),
    ("result-unknown-job", "get", f"{JOB}/{UNKNOWN_ID}/result", {}, 404, "not-found", None),
    ("delete-unknown-job", "delete", f"{JOB}/{UNKNOWN_ID}", {}, 404, "not-found", None),
    ("get-wait-not-integer", "get", f"{JOB}/{UNKNOWN_ID}?wait=1.5", {}, 400, "invalid-parameter", "wait"),
    ("method-put-jobs", "put", JOB, j({"text": A}), 405, "method-not-allowed", None),
    ("method-get-jobs", "get", JOB, {}, 405, "method-not-allowed", None),
    ("method-patch-job", "patch", f"{JOB}/{UNKNOWN_ID}", j({}), 405, "method-not-allowed", None),
    ("method-post-healthz", "post", "/healthz", {}, 405, "method-not-allowed", None),
    ("unknown-path", "get", "/v2/jobs", {}, 404, "not-found", None),
    ("docs-unknown-asset", "get", "/docs/secrets.txt", {}, 404, "not-found", None),
    ("batch-empty", "post", BATCH, j({"articles": []}), 422, "validation-error", "articles"),
    ("batch-not-list", "post", BATCH, j({"articles": {"text": A}}), 422, "validation-error", "articles"),
    ("batch-missing-articles", "post", BATCH, j({}), 422, "validation-error", "articles"),
    ("batch-over-limit", "post", BATCH, j({"articles": [{"text": A}] * 51}), 413, "too-large", "articles"),
    ("batch-item-invalid", "post", BATCH, j({"articles": [{"text": A}, {"text": ""}]}), 422,
     "validation-error", "articles.1.text"),
    ("batch-item-text-over-limit", "post", BATCH, j({"articles": [{"text": A}, {"text": "ب" * 100_001}]}),
     413, "too-large", "articles.1.text"),
    ("batch-item-unknown-step", "post", BATCH, j({"articles": [{"text": A, "steps": ["x"]}]}), 422,
     "unknown-step", "articles.0.steps"),
    ("batch-unknown-field", "post", BATCH, j({"articles": [{"text": A}], "priority": 1}), 422,
     "validation-error", "priority"),
]


def test_catalogue_is_large_enough():
    assert len(CASES) >= 25
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("name,method,path,kwargs,status,slug,field", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_a_problem(client, check, app, name, method, path, kwargs, status, slug, field):
    store = app.extensions["job_store"]
    created_before = store.counters().get("created", 0)
    resp = getattr(client, method)(path, **kwargs)
    problem = check(resp)
    assert resp.status_code == status, problem
    assert problem["type"] == f"/problems/{slug}"
    assert problem.get("detail")
    assert not any(w in problem["detail"] for w in ("sys.", "recursion", "Traceback")), problem
    if field is not None:
        assert field in [e["field"] for e in problem.get("errors", [])], problem
    if status == 405:
        assert resp.headers.get("Allow")
    assert store.counters().get("created", 0) == created_before, "a refused request created a job"


def test_body_over_the_size_limit_is_413(settings, check):
    """The whole-body limit (MAX_BODY_BYTES) answers before the body is parsed."""
    from dataclasses import replace

    from service.app import create_app
    small = create_app(replace(settings, max_body_bytes=1000)).test_client()
    resp = small.post(JOB, **j({"text": "ب" * 2000}))
    problem = check(resp)
    assert resp.status_code == 413 and problem["type"] == "/problems/too-large"
