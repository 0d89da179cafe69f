"""Rate limits on the /v1 API: Flask-Limiter, counters in the same Redis as the jobs.

One budget per API key (per client IP when keys are off), ``RATE_LIMIT`` in Flask-Limiter's
notation (``"600/minute"``, several separated by ``;``), counted with the sliding-window
counter strategy (smooth like a moving window, two Redis keys per limit). Every /v1
request counts, including ones refused with a 4xx: a client hammering the API with bad
requests is throttled too. Operations endpoints are never limited (a scraper or a load
balancer must not be locked out). Over the limit: ``429`` problem with ``Retry-After``.

``RATE_LIMIT_ARTICLES`` counts submitted articles instead of requests (a batch of 50 costs
50; ``charge_articles``), so a batch cannot carry more than the article budget.

Empty ``RATE_LIMIT`` and ``RATE_LIMIT_ARTICLES`` (the default, and ``make run``) install
nothing.
"""
from __future__ import annotations

import math
import time

from flask import g, request

from service.problems import problem_response


def client_identity() -> str:
    """The budget a request counts against: its key, or its client address."""
    owner = g.get("api_key_owner")
    if owner:
        return owner
    return f"ip:{request.remote_addr or 'unknown'}"


def _parse(value: str, name: str):
    from limits import parse_many
    try:
        return parse_many(value)
    except ValueError:
        raise SystemExit(f"configuration error: {name} {value!r} is not a rate limit like "
                         "'600/minute' or '10/second;1000/hour'") from None


def install(app, settings):
    if not (settings.rate_limit or settings.rate_limit_articles):
        return None
    from flask_limiter import Limiter
    from flask_limiter.errors import RateLimitExceeded

    if settings.rate_limit:
        _parse(settings.rate_limit, "RATE_LIMIT")
    app.extensions["article_limits"] = (_parse(settings.rate_limit_articles, "RATE_LIMIT_ARTICLES")
                                        if settings.rate_limit_articles else [])

    limiter = Limiter(
        client_identity,
        app=app,
        # One budget across every /v1 route (application limits), not one per route.
        application_limits=[settings.rate_limit] if settings.rate_limit else [],
        application_limits_exempt_when=lambda: request.blueprint != "jobs",
        storage_uri=settings.redis_url,
        # Same short timeouts as the job store: Redis away is a quick 503, not a hang.
        storage_options={"socket_connect_timeout": 2, "socket_timeout": 5},
        strategy="sliding-window-counter",
        key_prefix=f"{settings.key_prefix}ratelimit",
        headers_enabled=False,
        # Redis away: let the request through. Anything that needs Redis answers 503 on its
        # own; the limiter must not turn /v1/steps into an error (fails open, logged).
        swallow_errors=True,
    )
    app.extensions["rate_limiter"] = limiter

    @app.errorhandler(RateLimitExceeded)
    def _too_many(exc: RateLimitExceeded):
        current = limiter.current_limit
        wait = 1
        if current is not None:
            # window[0]: when the limit has room again (reset_at adds a second of margin).
            wait = max(1, math.ceil(current.window[0] - time.time()))
        return problem_response(429, "rate-limited",
                                f"too many requests for this client (limit {exc.limit.limit}); "
                                f"retry after {wait} s",
                                headers={"Retry-After": wait})

    return limiter


def charge_articles(count: int) -> None:
    """Count ``count`` articles against ``RATE_LIMIT_ARTICLES`` (a batch of 50 costs 50);
    called by the submit routes once the request is valid. Over it: 429. Redis away: not
    counted (fails open, like the request limit)."""
    from flask import current_app

    from service.problems import ApiProblem

    limiter = current_app.extensions.get("rate_limiter")
    items = current_app.extensions.get("article_limits")
    if limiter is None or not items:
        return
    settings = current_app.extensions["settings"]
    who = (f"{settings.key_prefix}articles", client_identity())
    try:
        for item in items:
            if not limiter.limiter.hit(item, *who, cost=count):
                reset, _remaining = limiter.limiter.get_window_stats(item, *who)
                wait = max(1, math.ceil(reset - time.time()))
                raise ApiProblem(429, "rate-limited",
                                 f"too many articles for this client (limit {item}, this request "
                                 f"has {count}); retry after {wait} s",
                                 headers={"Retry-After": wait})
    except ApiProblem:
        raise
    except Exception:
        current_app.logger.warning("article rate limit not counted: its storage is unavailable")
