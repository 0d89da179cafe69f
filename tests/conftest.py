"""Session fixtures for the service tests: real processes, started once, stopped at the end.

- ``redis_server``: a real ``redis-server`` on a free loopback port, no persistence, in a
  temp dir (never 6379).
- ``celery_worker``: a real Celery worker subprocess (prefork, one child) on that Redis.
- ``app`` / ``client``: the real Flask app on that Redis, and Flask's test client.
- ``live_server``: the real app under gunicorn, with service/gunicorn.conf.py as
  ``make run`` and the compose file run it, on a free port (real HTTP).
- ``check``: validates a response (test client or ``requests``) against openapi.yaml with
  openapi-core; every API test passes every response it gets through it.

All of them are lazy: a test that needs none of them starts nothing.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SEEDS_DIR = ROOT / "seeds"
SPEC_PATH = ROOT / "openapi.yaml"

# Every process is started the way `make run` starts it: tools/stack.py.
from tools.stack import Api, RedisServer, Worker, free_port, stop_process, wait_until  # noqa: E402, F401 (re-exported)

# Waits for a condition (a raising predicate counts as false); raises with the log's end.
_wait_for = wait_until


@pytest.fixture(scope="session")
def service_tmp():
    path = Path(tempfile.mkdtemp(prefix="enrich-tests-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server(service_tmp):
    """A throw-away redis-server; yields its URL."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not on PATH; install it (Debian: apt-get install redis-server)")
    server = RedisServer(service_tmp / "redis", persistence="none")
    server.start()
    yield server.url
    server.stop(grace=5)


@pytest.fixture(scope="session")
def service_env(redis_server):
    """Environment for the service's processes (worker, gunicorn)."""
    env = dict(os.environ)
    env.update(REDIS_URL=redis_server, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    env.pop("BROKER_URL", None)
    return env


@pytest.fixture(scope="session")
def settings(redis_server):
    from jobs.settings import Settings
    return Settings.from_env(redis_url=redis_server, broker_url="")


@pytest.fixture(scope="session")
def celery_app(settings):
    from workers import celery_app as module
    module.app.conf.broker_url = settings.broker
    return module.app


def worker_handle(worker: Worker) -> dict:
    """What the tests hold of a worker: its process, Celery node name and log file."""
    return {"process": worker.process, "name": worker.node, "log": worker.log, "worker": worker}


def spawn_worker(env: dict, log: Path, label: str, celery_app=None, queues: str | None = None,
                 wait: bool = True) -> dict:
    """Start a real worker process (prefork, one child, as in production).

    ``env`` may carry other settings (time limits, ...); ``queues`` limits what it consumes.
    Stop it with ``stop_process(worker["process"])``. (``celery_app`` is not needed any
    more: the worker is pinged on its own broker.)
    """
    worker = Worker(env, log, name=label, queues=queues, concurrency=1, pool="prefork")
    worker.start(wait=wait)
    return worker_handle(worker)


@pytest.fixture(scope="session")
def celery_worker(service_env, service_tmp, celery_app):
    """The session's worker, on the default queue."""
    worker = spawn_worker(service_env, service_tmp / "worker.log", "tests")
    yield worker
    worker["worker"].stop(grace=15)


@pytest.fixture(scope="session")
def app(settings, celery_app):
    from service.app import create_app
    return create_app(settings)


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def live_server(service_env, service_tmp, celery_worker):
    """The real app under gunicorn with its config file, on a free port; yields its base URL."""
    api = Api(service_env, service_tmp / "gunicorn.log", workers=2, threads=4)
    api.start()
    yield api.base
    api.stop(grace=10)


# -- the contract ---------------------------------------------------------------------------

class ContractChecker:
    """Validates responses against openapi.yaml (openapi-core) and returns their body.

    A response to a path or method the spec does not have (404 for an unknown path, 405)
    cannot be matched to an operation; it must then be a problem document valid against
    the spec's Problem schema, which is what openapi.yaml promises for every error.
    """

    def __init__(self, spec_path: Path):
        from jsonschema import Draft202012Validator
        from openapi_core import Config, OpenAPI
        # openapi-core reads application/json only; problem documents are JSON too.
        config = Config(extra_media_type_deserializers={"application/problem+json": json.loads})
        self.openapi = OpenAPI.from_file_path(str(spec_path), config=config)
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
        self.problem_validator = Draft202012Validator(
            {"$ref": "#/components/schemas/Problem", "components": spec["components"]})
        self.validated = 0

    def __call__(self, resp):
        from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
        from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
        from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse
        _SentRequest = _sent_request_class()
        if hasattr(resp, "iter_content"):  # requests.Response
            req, res = RequestsOpenAPIRequest(resp.request), RequestsOpenAPIResponse(resp)
            status, ctype, raw = resp.status_code, resp.headers.get("Content-Type", ""), resp.content
        else:
            req, res = _SentRequest(resp.request), WerkzeugOpenAPIResponse(resp)
            status, ctype, raw = resp.status_code, resp.headers.get("Content-Type", ""), resp.get_data()
        body = None
        if ctype.startswith(("application/json", "application/problem+json")):
            body = json.loads(raw)
        try:
            self.openapi.validate_response(req, res)
        except (PathNotFound, OperationNotFound):
            assert status in (404, 405), f"{status} for an operation the spec does not have"
            self._check_problem(status, ctype, body)
        if status >= 400:
            self._check_problem(status, ctype, body)
        assert b"Traceback" not in raw and b"File \"/" not in raw, "a stack trace leaked"
        self.validated += 1
        return body if body is not None else raw

    def _check_problem(self, status, ctype, body):
        assert ctype.startswith("application/problem+json"), f"{status} answered with {ctype}"
        self.problem_validator.validate(body)
        assert body["status"] == status
        assert body["type"].startswith("/problems/") or body["type"] == "about:blank"


def _sent_request_class():
    from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest

    class SentRequest(WerkzeugOpenAPIRequest):
        # The test client's request body was consumed by the app; response validation
        # only needs the method, path and headers.
        @property
        def body(self):
            return b""

    return SentRequest


@pytest.fixture(scope="session")
def check():
    return ContractChecker(SPEC_PATH)


# -- helpers shared by the API tests ----------------------------------------------------------

def e2e_steps() -> list[str]:
    """Steps the end-to-end tests run: every available step, or ``E2E_STEPS=a,b`` while a
    layer is still being built."""
    from nlp import resolve_steps
    raw = os.environ.get("E2E_STEPS")
    return resolve_steps(raw.split(",") if raw else None)


def article(text: str, **fields) -> dict:
    """A request body; names the steps only when ``E2E_STEPS`` narrows them."""
    body = {"text": text, **fields}
    if os.environ.get("E2E_STEPS"):
        body.setdefault("steps", e2e_steps())
    return body


def seed_texts() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(SEEDS_DIR.glob("*.txt"))}


def wait_finished(client, check, job_id: str, timeout: float = 90.0) -> dict:
    """Poll a job (long-polling with ?wait) until it has finished; every answer validated."""
    deadline = time.monotonic() + timeout
    while True:
        resp = client.get(f"/v1/jobs/{job_id}?wait=5")
        job = check(resp)
        assert resp.status_code == 200
        if job["status"] in ("succeeded", "failed"):
            assert "Retry-After" not in resp.headers
            return job
        assert resp.headers.get("Retry-After", "").isdigit()
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} still {job['status']} after {timeout:.0f} s")
