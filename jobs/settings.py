"""Every environment variable the service, the workers and the launcher read, in one
object, with the documented defaults (docs/service.md lists them).

A bad value stops the process with one line naming the variable
("configuration error: STEP_TIME_LIMIT must be a number, got 'x'"), never a traceback.
The API and the workers read the same object, so both sides agree on Redis, time limits
and routing.
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


def _str(name: str, default: str) -> str:
    raw = os.environ.get(name)
    return default if raw is None or raw.strip() == "" else raw.strip()


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


# The steps a job can route to its own queue (CELERY_QUEUE_<STEP>), and the final one.
ROUTABLE = ("boilerplate", "segmentation", "entities", "assemble")

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
    max_article_words: int = 20_000      # words (runs of letters/digits outside tags) per article
    max_batch: int = 50
    max_wait_seconds: int = WAIT_CEILING_SECONDS
    max_waiters: int = 200               # ?wait long-polls held at once per API process; beyond, answered at once
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
    log_level_given: bool = False        # LOG_LEVEL set: wins over a worker's --loglevel
    log_exception_messages: bool = False # exception text in log lines (may quote input)
    # Queues and delivery (workers/celery_app.py)
    default_queue: str = "enrich"
    step_queues: tuple = ()              # ((step, queue), ...) from CELERY_QUEUE_<STEP>
    fuse_steps: bool = True              # consecutive steps on one queue: one message
    worker_prefetch_multiplier: int = 4
    # A pool process reports ready once its engines are warm (seconds under load); Celery's
    # 4 s default killed every replacement child of a busy worker in a loop.
    worker_proc_alive_timeout: float = 60.0
    broker_visibility_timeout: int = 600
    broker_restore_interval: int = 10
    step_max_retries: int = 3            # transient faults retried in place
    step_max_redeliveries: int = 3       # a message whose worker died, run again at most
    progress_interval_seconds: float = 0.5  # a running job's steps_done, written at most this often
    # The sweeper (jobs/sweeper.py): a job pending longer than this is requeued once,
    # then failed; checked every sweep_interval_seconds.
    job_deadline_seconds: int = 900
    sweep_interval_seconds: int = 30
    # The HTTP server (service/gunicorn.conf.py) and `make run`
    host: str = "127.0.0.1"
    port: int = 8000
    bind: str = ""                       # empty: host:port
    web_concurrency: int = 2
    gunicorn_threads: int = 8            # only for a thread worker class; the config file uses gevent
    worker_connections: int = 1000       # open connections per API process (gevent worker)
    request_body_timeout: float = 30.0   # a request body not fully received in this time: 408
    access_log: str = "-"
    worker_concurrency: int = 1

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
            max_article_words=_int("MAX_ARTICLE_WORDS", cls.max_article_words),
            max_batch=_int("MAX_BATCH", cls.max_batch),
            max_wait_seconds=min(_int("MAX_WAIT_SECONDS", cls.max_wait_seconds), WAIT_CEILING_SECONDS),
            max_waiters=_int("MAX_WAITERS", cls.max_waiters),
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
            log_level_given=bool(os.environ.get("LOG_LEVEL", "").strip()),
            log_exception_messages=_bool("LOG_EXCEPTION_MESSAGES", cls.log_exception_messages),
            default_queue=_str("CELERY_DEFAULT_QUEUE", cls.default_queue),
            step_queues=tuple((s, os.environ[f"CELERY_QUEUE_{s.upper()}"].strip()) for s in ROUTABLE
                              if os.environ.get(f"CELERY_QUEUE_{s.upper()}", "").strip()),
            fuse_steps=_bool("FUSE_STEPS", cls.fuse_steps),
            worker_prefetch_multiplier=_int("WORKER_PREFETCH_MULTIPLIER", cls.worker_prefetch_multiplier),
            worker_proc_alive_timeout=_float("WORKER_PROC_ALIVE_TIMEOUT", cls.worker_proc_alive_timeout),
            broker_visibility_timeout=_int("BROKER_VISIBILITY_TIMEOUT", cls.broker_visibility_timeout),
            broker_restore_interval=_int("BROKER_RESTORE_INTERVAL", cls.broker_restore_interval),
            step_max_retries=_int("STEP_MAX_RETRIES", cls.step_max_retries),
            step_max_redeliveries=_int("STEP_MAX_REDELIVERIES", cls.step_max_redeliveries),
            progress_interval_seconds=_float("PROGRESS_INTERVAL_SECONDS", cls.progress_interval_seconds),
            job_deadline_seconds=_int("JOB_DEADLINE_SECONDS", cls.job_deadline_seconds),
            sweep_interval_seconds=_int("SWEEP_INTERVAL_SECONDS", cls.sweep_interval_seconds),
            host=_str("HOST", cls.host),
            port=_int("PORT", cls.port),
            bind=_str("BIND", cls.bind),
            web_concurrency=_int("WEB_CONCURRENCY", cls.web_concurrency),
            gunicorn_threads=_int("GUNICORN_THREADS", cls.gunicorn_threads),
            worker_connections=_int("WORKER_CONNECTIONS", cls.worker_connections),
            request_body_timeout=_float("REQUEST_BODY_TIMEOUT", cls.request_body_timeout),
            access_log=_str("ACCESS_LOG", cls.access_log),
            worker_concurrency=_int("WORKER_CONCURRENCY", cls.worker_concurrency),
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

    @property
    def http_bind(self) -> str:
        return self.bind or f"{self.host}:{self.port}"

    def queue_for(self, step: str) -> str:
        """The queue a step's messages go to (``assemble`` for the final touches)."""
        return dict(self.step_queues).get(step, self.default_queue)
