"""The spec states every status the service sends and every rule it enforces: /metrics
while Redis is away (503), published_at's form (the spec's pattern is the server's), the
408 of a body not received in time, and the rules paragraph."""
from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
import yaml

from service.schemas import ISO8601
from tests.conftest import SPEC_PATH, free_port

SPEC = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
A = "قال الرئيس إن العلاقات جيدة."


def test_metrics_while_redis_is_away_is_a_listed_503(settings, check):
    from service.app import create_app
    app = create_app(replace(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0"))
    resp = app.test_client().get("/metrics")
    assert resp.status_code == 503
    check(resp)


def test_published_at_pattern_is_the_servers():
    pattern = SPEC["components"]["schemas"]["ArticleRequest"]["properties"]["published_at"]["pattern"]
    assert pattern.strip("^$") == ISO8601.pattern


@pytest.mark.parametrize("value, status", [
    ("2024-06-19", 202), ("2024-06-19T10:30:00Z", 202), ("2024-06-19 10:30+03:00", 202),
    ("2024-06-19T10:30:00.123456Z", 202), ("2024-02-30", 422), (" 2024-06-19", 422),
    ("2024-06-19T24:00", 422), ("19/06/2024", 422)])
def test_published_at_follows_the_spec(client, check, value, status):
    spec_ok = re.fullmatch(SPEC["components"]["schemas"]["ArticleRequest"]["properties"]["published_at"]
                           ["pattern"].strip("^$"), value) is not None
    resp = client.post("/v1/jobs", json={"text": A, "published_at": value})
    check(resp)
    assert resp.status_code == status
    if not spec_ok:
        assert status == 422  # what the spec refuses, the server refuses


def test_every_body_taking_operation_lists_408_413_422():
    for path in ("/v1/jobs", "/v1/batches"):
        assert {"408", "413", "422", "503"} <= set(SPEC["paths"][path]["post"]["responses"])


def test_the_rules_are_stated():
    text = SPEC["info"]["description"]
    for rule in ("408", "20,000 words", "32 levels", "NUL", "published_at", "414", "431", "20 field"):
        assert rule in text, rule
