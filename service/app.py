"""The Flask application factory: settings, job store, blueprints and error handlers."""
from __future__ import annotations

import logging
import threading

import redis
from flask import Flask
from kombu.exceptions import OperationalError as BrokerError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from jobs.settings import Settings
from service.body import BodyGuard
from service.problems import ApiProblem, problem_response
from service.publisher import Publisher
from jobs.store import JobStore

log = logging.getLogger("service")

# werkzeug's name for a status -> our problem slug.
_HTTP_SLUGS = {400: "bad-request", 404: "not-found", 405: "method-not-allowed",
               408: "request-timeout", 413: "too-large", 415: "unsupported-media-type"}
# Redis away, or refusing writes (a replica during failover), or full (maxmemory with
# the noeviction policy: a write is refused, no job record is evicted): try again later.
_UNAVAILABLE = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError,
                redis.exceptions.ReadOnlyError, redis.exceptions.OutOfMemoryError, BrokerError)


def create_app(settings: Settings | None = None, *, store: JobStore | None = None,
               enqueue=None) -> Flask:
    """``enqueue(job_id, steps)`` publishes a job's messages (default: service.publisher)."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.extensions["settings"] = settings
    app.extensions["job_store"] = store or JobStore.from_settings(settings)
    publisher = Publisher(settings)
    app.extensions["publisher"] = publisher  # also asks the workers if they are there (/readyz)
    app.extensions["enqueue"] = enqueue or publisher
    # Long-polls held at once by this process (a greenlet and a Redis connection each);
    # MAX_WAITERS=0: none, every ?wait is answered at once.
    app.extensions["waiters"] = threading.BoundedSemaphore(settings.max_waiters) \
        if settings.max_waiters > 0 else None
    app.wsgi_app = BodyGuard(app.wsgi_app, settings.max_body_bytes, settings.request_body_timeout)

    from service.demo import bp as demo_bp
    from service.ops import bp as ops_bp
    from service.routes import bp as jobs_bp
    app.register_blueprint(jobs_bp)
    app.register_blueprint(ops_bp)
    app.register_blueprint(demo_bp)
    _register_error_handlers(app, settings)
    # Order matters: the key is checked before the rate limiter counts (per key), and
    # both before a route reads the body. docs/security.md.
    from service import auth, headers, ratelimit
    try:
        auth.install(app, settings)
    except auth.KeyConfigError as exc:
        raise SystemExit(f"configuration error: {exc}") from None
    ratelimit.install(app, settings)
    headers.install(app)
    return app


def _register_error_handlers(app: Flask, settings: Settings) -> None:
    @app.errorhandler(ApiProblem)
    def _api_problem(exc: ApiProblem):
        return problem_response(exc.status, exc.slug, exc.detail, headers=exc.headers,
                                **exc.extensions)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        # Flask's own 404/405/413/... become problem documents too.
        code = exc.code or 500
        headers = {}
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        detail = {404: "no such resource",
                  405: "this path does not accept that method",
                  408: "the request body was not received in time",
                  413: "the request body is over the size limit"}.get(code, exc.description)
        return problem_response(code, _HTTP_SLUGS.get(code, "bad-request" if code < 500 else "internal-error"),
                                detail, headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if isinstance(exc, _UNAVAILABLE):
            log.warning("redis or broker unavailable: %s", type(exc).__name__)
            return problem_response(503, "service-unavailable",
                                    "the job store or queue is unavailable; nothing was accepted, retry later",
                                    headers={"Retry-After": max(settings.retry_after_seconds, 1)})
        log.exception("unhandled error")
        return problem_response(500, "internal-error", "an unexpected error occurred")
