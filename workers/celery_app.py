"""The Celery app: Redis broker, JSON only, at-least-once delivery.

A job's messages and their queues come from ``jobs.routing.plan``; every message carries
the job id only (the task reads the article from the job record). Consecutive steps
routed to one queue travel as one ``enrich.run`` message (FUSE_STEPS, default on);
``CELERY_QUEUE_<STEP>`` (e.g. ``CELERY_QUEUE_ENTITIES=farasa``) sends a step to its own
queue, so JVM-backed steps can have a worker pool of their own
(``celery -A workers.celery_app worker -Q farasa``). Default queue: ``CELERY_DEFAULT_QUEUE``.

Delivery: ``acks_late`` + ``reject_on_worker_lost`` so a task whose worker dies mid-way is
delivered again; the sweeper (workers/sweeper.py) catches a message lost any other way.
Celery's result backend is not used: the job record is the API's state.
"""
from __future__ import annotations

import logging

from celery import Celery, chain, signals

from jobs.routing import ASSEMBLE_TASK, RUN_TASK, SUCCESSOR_RETRY_POLICY, plan, step_task_name  # noqa: F401 (the task names)
from jobs.settings import Settings
from nlp import STEPS

settings = Settings.from_env()

app = Celery("enrich", broker=settings.broker, include=["workers.tasks", "workers.sweeper"])
DEFAULT_QUEUE = settings.default_queue

app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    task_ignore_result=True,            # the job record is the state; no result backend
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    # Messages a worker process may hold unacked beyond the one it runs. Steps are short,
    # so a few in hand hide the broker round trip; with acks_late they are still
    # redelivered if the worker dies. Set 1 for long, uneven tasks.
    worker_prefetch_multiplier=settings.worker_prefetch_multiplier,
    # A new pool process loads its engines before it reports ready (worker_process_init).
    worker_proc_alive_timeout=settings.worker_proc_alive_timeout,
    task_default_queue=DEFAULT_QUEUE,
    task_routes={**{step_task_name(s): {"queue": settings.queue_for(s)} for s in STEPS},
                 ASSEMBLE_TASK: {"queue": settings.queue_for("assemble")}},
    task_soft_time_limit=settings.step_soft_time_limit,
    task_time_limit=settings.step_time_limit,
    broker_connection_retry_on_startup=True,
    # Publishing while Redis is down must fail fast (the API answers 503), not hang.
    task_publish_retry_policy={"max_retries": 2, "interval_start": 0,
                               "interval_step": 0.2, "interval_max": 0.5},
    broker_transport_options={
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
        # A message taken but not acked (worker gone without a trace) comes back after this.
        "visibility_timeout": settings.broker_visibility_timeout,
        # How often a worker looks for such messages. kombu's default scans on every 10th
        # 10 s tick (100 s); every tick: one cheap ZRANGE, and a killed worker's jobs come
        # back within visibility_timeout + this.
        "unacked_restore_interval": settings.broker_restore_interval,
        "unacked_restore_throttle": 1,
    },
    worker_hijack_root_logger=False,
    worker_send_task_events=False,
    timezone="UTC",
)


# -- logging (jobs/logs.py): JSON lines with the job id, never the article ----------------

@signals.setup_logging.connect
def _setup_logging(loglevel=None, **_kwargs) -> None:
    """Connecting this signal keeps Celery from setting up logging itself: the worker logs
    JSON lines like the API. ``LOG_LEVEL`` wins over ``--loglevel`` when set."""
    from jobs.logs import configure
    level = settings.log_level if settings.log_level_given else \
        logging.getLevelName(loglevel or logging.INFO)
    configure(settings.log_format, str(level))


def build_chain(job_id: str, steps: list[str], celery: Celery | None = None,
                queue: str | None = None, fuse: bool | None = None,
                job_settings: Settings | None = None):
    """The Celery chain of one job's messages (``jobs.routing.plan``). Signatures are
    immutable: a task hands nothing to the next but the job id they share."""
    celery = celery or app
    # Time limits are the worker's (its STEP_*_TIME_LIMIT): a producer that has the tasks
    # registered would otherwise stamp its own configured limits into every message.
    # argsrepr: what the worker logs for the arguments (jobs/logs.py reads the job id).
    options = {"time_limit": None, "soft_time_limit": None, "immutable": True,
               "argsrepr": f"(job_id={job_id})"}
    sigs = []
    for i, message in enumerate(plan(job_id, steps, job_settings or Settings.from_env(), queue=queue, fuse=fuse)):
        opts = dict(options, queue=message.queue) if message.queue else dict(options)
        if i:
            opts["retry_policy"] = SUCCESSOR_RETRY_POLICY
        sigs.append(celery.signature(message.task, args=message.args, **opts))
    return chain(*sigs)


def enqueue(job_id: str, steps: list[str], celery: Celery | None = None,
            queue: str | None = None, fuse: bool | None = None) -> None:
    """Publish the job's messages; raises if the broker cannot take them."""
    build_chain(job_id, steps, celery, queue, fuse).apply_async()
