"""The contract itself: openapi.yaml is a valid OpenAPI 3.1 document, the app serves
exactly its operations, the marshmallow schemas have exactly its fields, the pipeline's
output fits its Result schema, and the response checker the API tests rely on does fail
on a response that breaks the contract.
"""
from __future__ import annotations

import re

import pytest
import yaml
from flask import Flask, jsonify

from tests.conftest import SPEC_PATH, ContractChecker, seed_texts

SPEC = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
METHODS = {"get", "post", "put", "patch", "delete"}


def test_spec_passes_the_openapi_validator():
    from openapi_spec_validator import validate
    validate(SPEC)
    assert SPEC["openapi"].startswith("3.1")


def test_app_serves_exactly_the_operations_of_the_spec():
    from service.app import create_app
    from jobs.settings import Settings
    from jobs.store import JobStore, redis_client
    # No Redis needed to list routes: the client connects lazily.
    settings = Settings.from_env(redis_url="redis://127.0.0.1:1/0")
    app = create_app(settings, store=JobStore(redis_client(settings.redis_url)), enqueue=lambda *a: None)
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        served |= {(path, m.lower()) for m in rule.methods if m.lower() in METHODS}
    specified = {(path, m) for path, item in SPEC["paths"].items() for m in item if m in METHODS}
    assert served == specified


def _props(name: str) -> set[str]:
    return set(SPEC["components"]["schemas"][name]["properties"])


def test_marshmallow_schemas_match_the_spec():
    from service.schemas import ArticleSchema, BatchSchema, JobSchema, StepsSchema
    assert set(ArticleSchema().fields) == _props("ArticleRequest")
    assert set(BatchSchema().fields) == _props("BatchRequest")
    assert set(JobSchema().fields) == _props("Job")
    assert set(StepsSchema().fields) == _props("Steps")


def test_step_names_match_the_pipeline():
    from nlp import STEPS
    assert SPEC["components"]["schemas"]["StepName"]["enum"] == list(STEPS)


def result_validator():
    from jsonschema import Draft202012Validator
    return Draft202012Validator({"$ref": "#/components/schemas/Result", "components": SPEC["components"]})


@pytest.mark.parametrize("name", sorted(seed_texts()))
def test_in_process_pipeline_output_fits_the_result_schema(name):
    from nlp import enrich
    result = enrich({"text": seed_texts()[name], "source": "AFP"})
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in result_validator().iter_errors(result)]
    assert not errors, errors[:10]


def test_result_schema_is_strict_where_it_should_be():
    v = result_validator()
    good = {"schema_version": "1.0", "input": {"format": "text"}, "steps": [],
            "document": {"text": "x", "counts": {"characters": 1}}, "engines": {}, "timings_ms": {}}
    assert v.is_valid(good)
    assert not v.is_valid({**good, "surprise": 1})                      # closed top level
    assert not v.is_valid({k: x for k, x in good.items() if k != "document"})
    assert not v.is_valid({**good, "document": {"text": "x", "counts": {}}})
    assert not v.is_valid({**good, "tokens": [{"text": "x", "start": 0, "end": 1}]})  # no kind/segments
    assert not v.is_valid({**good, "entities": [{"text": "x", "start": 0, "end": 1, "type": "DATE", "entity": 0}]})
    assert v.is_valid({**good, "tokens": [{"text": "x", "start": 0, "end": 1, "kind": "word",
                                           "segments": ["x"], "lemma": "x"}]})  # layer items open


def test_checker_catches_a_response_that_breaks_the_contract():
    check = ContractChecker(SPEC_PATH)
    bad = Flask("bad")

    @bad.get("/v1/jobs/<job_id>")
    def job(job_id):
        return jsonify({"id": job_id, "status": "done"})       # not a Job

    @bad.get("/v1/steps")
    def steps():
        return "oops", 500                                     # not a problem document

    @bad.get("/healthz")
    def healthz():
        return jsonify({"status": "ok"}), 418                  # a status the spec lacks

    c = bad.test_client()
    for path in ("/v1/jobs/" + "a" * 32, "/v1/steps", "/healthz"):
        with pytest.raises(Exception):
            check(c.get(path))
    with pytest.raises(Exception):
        check(c.get("/nowhere"))                               # Flask's HTML 404
