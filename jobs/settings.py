"""Settings from environment variables, with the documented defaults.

Flask-free on purpose: the Celery workers read the same settings (Redis URL, TTL, time
limits) as the API, so both sides agree on them.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields


def _number(name: str, default, cast, what: str):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return cast(raw)
    except ValueError:
        raise SystemExit(f"configuration error: {name} must be {what}, got {raw!r}") from None


def _int(name: str, default: int) -> int:
    return _number(name, default, int, "an integer")


def _float(name: str, default: float) -> float:
    return _number(name, default, float, "a number")


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise SystemExit(f"configuration error: {name} must be true or false, got {raw!r}")


# Hard ceiling for ?wait=N, also written in openapi.yaml (the Wait parameter's maximum).
WAIT_CEILING_SECONDS = 30


@dataclass(frozen=True)
class Settings:
    redis_url: str = "redis://127.0.0.1:6379/0"
    broker_url: str = ""                 # empty: same as redis_url
    key_prefix: str = "enrich:"
    job_ttl_seconds: int = 86400         # a job record lives this long after its last change
    max_body_bytes: int = 16 * 1024 * 1024
    max_text_chars: int = 100_000
    max_html_chars: int = 1_000_000
    max_metadata_bytes: int = 4096
    max_batch: int = 50
    max_wait_seconds: int = WAIT_CEILING_SECONDS
    retry_after_seconds: int = 1         # hint while a job is pending
    step_soft_time_limit: float = 60.0   # a step over this fails its job with a clear error
    step_time_limit: float = 90.0        # hard kill of the worker child
    readyz_timeout: float = 1.0          # how long /readyz waits for a worker to answer ping
    engine: str = ""                     # "", "builtin" or "farasa": engine for segmentation/entities
    # Security (docs/security.md). Keys are on when any are configured.
    api_keys: str = ""                   # "key_id:sha256hex" entries (python -m service.keys new)
    api_keys_file: str = ""              # a file of such entries, one per line
    auth_required: bool = False          # true: refuse to start without keys (compose file)
    metrics_require_key: bool = False    # true: /metrics needs a valid key too
    rate_limit: str = ""                 # per key (per client IP when keys are off), e.g.
                                         # "600/minute;10000/hour"; "" = no limit
    rate_limit_articles: str = ""        # articles submitted per key / client IP; "" = none
    log_format: str = "json"             # "json" or "text"
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        values = dict(
            redis_url=os.environ.get("REDIS_URL", cls.redis_url),
            broker_url=os.environ.get("BROKER_URL", ""),
            key_prefix=os.environ.get("KEY_PREFIX", cls.key_prefix),
            job_ttl_seconds=_int("JOB_TTL_SECONDS", cls.job_ttl_seconds),
            max_body_bytes=_int("MAX_BODY_BYTES", cls.max_body_bytes),
            max_text_chars=_int("MAX_TEXT_CHARS", cls.max_text_chars),
            max_html_chars=_int("MAX_HTML_CHARS", cls.max_html_chars),
            max_metadata_bytes=_int("MAX_METADATA_BYTES", cls.max_metadata_bytes),
            max_batch=_int("MAX_BATCH", cls.max_batch),
            max_wait_seconds=min(_int("MAX_WAIT_SECONDS", cls.max_wait_seconds), WAIT_CEILING_SECONDS),
            retry_after_seconds=_int("RETRY_AFTER_SECONDS", cls.retry_after_seconds),
            step_soft_time_limit=_float("STEP_SOFT_TIME_LIMIT", cls.step_soft_time_limit),
            step_time_limit=_float("STEP_TIME_LIMIT", cls.step_time_limit),
            readyz_timeout=_float("READYZ_TIMEOUT", cls.readyz_timeout),
            engine=os.environ.get("ENGINE", ""),
            api_keys=os.environ.get("API_KEYS", ""),
            api_keys_file=os.environ.get("API_KEYS_FILE", ""),
            auth_required=_bool("AUTH_REQUIRED", cls.auth_required),
            metrics_require_key=_bool("METRICS_REQUIRE_KEY", cls.metrics_require_key),
            rate_limit=os.environ.get("RATE_LIMIT", cls.rate_limit).strip(),
            rate_limit_articles=os.environ.get("RATE_LIMIT_ARTICLES", cls.rate_limit_articles).strip(),
            log_format=os.environ.get("LOG_FORMAT", cls.log_format).strip().lower() or cls.log_format,
            log_level=os.environ.get("LOG_LEVEL", cls.log_level).strip().upper() or cls.log_level,
        )
        values.update(overrides)
        # Celery refuses a soft limit above the hard one (every task would fail).
        values["step_soft_time_limit"] = min(values["step_soft_time_limit"], values["step_time_limit"])
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise TypeError(f"unknown settings: {sorted(unknown)}")
        return cls(**values)

    @property
    def broker(self) -> str:
        return self.broker_url or self.redis_url
