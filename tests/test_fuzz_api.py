"""schemathesis against the running service: every operation of openapi.yaml, generated
requests (valid and invalid), zero server errors and zero responses that break the contract.

The service is the real app under gunicorn with its config file (tools/stack.py) on the
session's Redis, but its jobs go to a queue no worker reads (``CELERY_DEFAULT_QUEUE``),
removed at the end: generated batches of up to 50 long random articles would otherwise
keep the session's worker busy for minutes and slow every later test. Whether a job runs does not change any answer checked here.

Every response goes through schemathesis's checks (5xx, status codes, content types,
headers and bodies against the spec) and through the suite's own contract checker
(openapi-core, problem documents, no stack traces). Derandomized: the same requests on
every run. A last test asserts the total number of requests made.
"""
from __future__ import annotations

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.conftest import SPEC_PATH
from tools.stack import Api

schema = schemathesis.openapi.from_path(str(SPEC_PATH))
QUEUE = "fuzz-parked"
MIN_REQUESTS = 1000
MADE = {"requests": 0, "operations": set(), "per_operation": {}}


@pytest.fixture(scope="module")
def fuzz_server(service_env, service_tmp, redis_server, celery_worker):
    api = Api({**service_env, "CELERY_DEFAULT_QUEUE": QUEUE}, service_tmp / "gunicorn-fuzz.log",
              workers=2, threads=4)
    api.start()
    yield api.base
    api.stop()
    import redis
    redis.Redis.from_url(redis_server).delete(QUEUE)


@schema.parametrize()
@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation(case, fuzz_server, check):
    if case.path == "/v1/jobs" and case.method.upper() == "POST" and isinstance(case.query, dict):
        # ?wait on a job no worker will run only makes the request sleep.
        case.query.pop("wait", None)
    response = case.call(base_url=fuzz_server, timeout=30)
    MADE["requests"] += 1
    op = f"{case.method.upper()} {case.path}"
    MADE["operations"].add(op)
    MADE["per_operation"][op] = MADE["per_operation"].get(op, 0) + 1
    assert response.status_code < 500, (response.status_code, response.content[:500])
    # Every check but "schema-valid data is accepted": a schema-valid body can still be
    # refused for what it means, as documented (422 for an Idempotency-Key reused with
    # another body, an unknown step name; 413 over a size limit).
    case.validate_response(response, excluded_checks=[positive_data_acceptance])
    check(as_requests(response))


def as_requests(resp) -> requests.Response:
    """schemathesis's response as a requests.Response, for the suite's contract checker."""
    from requests.structures import CaseInsensitiveDict
    out = requests.Response()
    out.status_code = resp.status_code
    out._content = resp.content
    out.headers = CaseInsensitiveDict({k: ", ".join(v) for k, v in resp.headers.items()})
    out.request = resp.request
    out.url = resp.request.url
    return out


def test_enough_requests_over_every_operation():
    """Runs after the generated tests (same module, file order)."""
    spec_ops = {f"{r.ok().method.upper()} {r.ok().path}" for r in schema.get_all_operations()}
    if not MADE["operations"]:
        pytest.skip("the generated tests did not run (deselected)")
    # (schemathesis also tries methods the spec does not have on each path: 405s.)
    assert spec_ops <= MADE["operations"], spec_ops - MADE["operations"]
    in_spec = sum(n for op, n in MADE["per_operation"].items() if op in spec_ops)
    assert in_spec >= MIN_REQUESTS, MADE["per_operation"]
    print(f"{MADE['requests']} generated requests, {in_spec} to the spec's {len(spec_ops)} operations; "
          f"{ {op: n for op, n in sorted(MADE['per_operation'].items()) if op in spec_ops} }")
