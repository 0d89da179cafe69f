"""The Celery app: Redis broker, JSON only, at-least-once delivery.

A job is a chain of one task per step, then ``assemble``:

    enrich.step.boilerplate -> enrich.step.segmentation -> enrich.step.entities -> enrich.assemble

each passing the JSON result dict to the next (``workers/tasks.py``). The API builds the
chain by task *name* (``enqueue``), so it never imports the pipeline layers.

Delivery: ``acks_late`` + ``reject_on_worker_lost`` so a task whose worker dies mid-way is
delivered again. Celery's result
backend is not used: the job record in Redis (service/store.py) is the API's state.

Routing: ``CELERY_QUEUE_<STEP>`` (e.g. ``CELERY_QUEUE_ENTITIES=farasa``) sends a step to its
own queue, so JVM-backed steps can have a worker pool of their own
(``celery -A workers.celery_app worker -Q farasa``). Default queue: ``CELERY_DEFAULT_QUEUE``
(``enrich``).
"""
from __future__ import annotations

import json
import logging
import os

from celery import Celery, chain, signals
from kombu import serialization as kombu_serialization
from kombu.utils import json as kombu_json

from service.config import Settings, _bool
from workers.pipeline import STEPS

settings = Settings.from_env()


def _json_loads(data):
    """kombu's JSON decoder, minus its per-object hook when no typed value is present.

    The hook (which revives kombu's ``{"__type__": ...}`` values) costs about as much as
    the parse itself on a result with hundreds of tokens, and the result travels through
    every step. Same bytes on the wire; anything carrying "__type__" is decoded by kombu.
    """
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data).decode("utf-8")
    if '"__type__"' in data:
        return kombu_json.loads(data)
    return json.loads(data)


kombu_serialization.register("json", kombu_json.dumps, _json_loads,
                             content_type="application/json", content_encoding="utf-8")

app = Celery("enrich", broker=settings.broker, include=["workers.tasks"])

DEFAULT_QUEUE = os.environ.get("CELERY_DEFAULT_QUEUE", "enrich")


def step_task_name(step: str) -> str:
    return f"enrich.step.{step}"


ASSEMBLE_TASK = "enrich.assemble"
RUN_TASK = "enrich.run"

# Consecutive steps routed to the same queue travel as one task (RUN_TASK) instead of one
# task each: every hop between tasks re-sends the whole result (~100 KB once tokens exist)
# through Redis and costs the worker about as much CPU as the steps themselves. Steps routed
# to different queues (CELERY_QUEUE_<STEP>) are still separate tasks. FUSE_STEPS=0: one
# task per step, always.
FUSE_STEPS = _bool("FUSE_STEPS", True)


def queue_for(step: str) -> str:
    return os.environ.get(f"CELERY_QUEUE_{step.upper()}", DEFAULT_QUEUE)


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
    worker_prefetch_multiplier=int(os.environ.get("WORKER_PREFETCH_MULTIPLIER", "4")),
    task_default_queue=DEFAULT_QUEUE,
    task_routes={**{step_task_name(s): {"queue": queue_for(s)} for s in STEPS},
                 ASSEMBLE_TASK: {"queue": queue_for("assemble")}},
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
        "visibility_timeout": int(os.environ.get("BROKER_VISIBILITY_TIMEOUT", "600")),
        # How often a worker looks for such messages. kombu's default scans on every 10th
        # 10 s tick (100 s); every tick: one cheap ZRANGE, and a killed worker's jobs come
        # back within visibility_timeout + this.
        "unacked_restore_interval": int(os.environ.get("BROKER_RESTORE_INTERVAL", "10")),
        "unacked_restore_throttle": 1,
    },
    worker_hijack_root_logger=False,
    worker_send_task_events=False,
    timezone="UTC",
)


# -- logging (service/logs.py): JSON lines with the job id, never the article ----------------

@signals.setup_logging.connect
def _setup_logging(loglevel=None, **_kwargs) -> None:
    """Connecting this signal keeps Celery from setting up logging itself: the worker logs
    JSON lines like the API. ``LOG_LEVEL`` wins over ``--loglevel`` when set."""
    from service.logs import configure
    level = settings.log_level if os.environ.get("LOG_LEVEL") else \
        logging.getLevelName(loglevel or logging.INFO)
    configure(settings.log_format, str(level))


@signals.before_task_publish.connect
def _argsrepr_names_the_job(body=None, headers=None, **_kwargs) -> None:
    """``argsrepr`` is what Celery logs (and monitors show) for a task's arguments; by
    default a repr of them, i.e. of the article. Name the job instead (service/logs.py
    reads the job id from it for the worker's "received" line)."""
    if headers is None:
        return
    args = body[0] if isinstance(body, (tuple, list)) and body and isinstance(body[0], (tuple, list)) else ()
    job_id = args[-1] if args and isinstance(args[-1], str) else None
    headers["argsrepr"] = f"(<result>, job_id={job_id})" if job_id else "(<withheld>)"
    headers["kwargsrepr"] = "{}"


# A task's successor is published by the worker when the task ends. Were Redis away then,
# Celery would give up after task_publish_retry_policy (fast, for the API's 503), fail the
# task and acknowledge its message: the job would be lost (seen with the compose file's
# two queues, Redis restarted under load). A worker can wait: its publishes ride out an
# outage of about a minute, its own message unacknowledged meanwhile.
SUCCESSOR_RETRY_POLICY = {"max_retries": 60, "interval_start": 0.5, "interval_step": 0.5,
                          "interval_max": 1.0}


def build_chain(job_id: str, result: dict, steps: list[str], celery: Celery | None = None,
                queue: str | None = None, fuse: bool | None = None):
    """The Celery chain for one job: the steps, then assemble.

    With ``fuse`` (default FUSE_STEPS), each run of consecutive steps routed to one queue
    is one RUN_TASK, which also assembles when it ends the job on the assemble queue;
    otherwise one task per step, then ASSEMBLE_TASK. ``queue`` sends every task of the
    chain to that queue instead of the routed ones.
    """
    celery = celery or app
    # Time limits are the worker's (its STEP_*_TIME_LIMIT): a producer that has the tasks
    # registered would otherwise stamp its own configured limits into every message.
    options = {"time_limit": None, "soft_time_limit": None}
    if queue:
        options["queue"] = queue
    if FUSE_STEPS if fuse is None else fuse:
        return _fused_chain(celery, job_id, result, steps, queue, options)
    sigs = []
    for i, step in enumerate(steps):
        args = (result, job_id) if i == 0 else (job_id,)
        sigs.append(celery.signature(step_task_name(step), args=args, **options))
    tail_args = (job_id,) if steps else (result, job_id)
    sigs.append(celery.signature(ASSEMBLE_TASK, args=tail_args, **options))
    return _chain(sigs)


def _chain(sigs: list):
    """The chain; every task after the first is published by a worker (see above)."""
    for sig in sigs[1:]:
        sig.set(retry_policy=SUCCESSOR_RETRY_POLICY)
    return chain(*sigs)


def _fused_chain(celery: Celery, job_id: str, result: dict, steps: list[str],
                 queue: str | None, options: dict):
    runs: list[tuple[str, list[str]]] = []
    for step in steps:
        q = queue or queue_for(step)
        if runs and runs[-1][0] == q:
            runs[-1][1].append(step)
        else:
            runs.append((q, [step]))
    assemble_queue = queue or queue_for("assemble")
    sigs = []
    for i, (q, run) in enumerate(runs):
        final = i == len(runs) - 1 and q == assemble_queue
        args = (run, final, job_id)
        sigs.append(celery.signature(RUN_TASK, args=(result, *args) if i == 0 else args,
                                     **{**options, "queue": q}))
    if not runs or runs[-1][0] != assemble_queue:
        tail_args = (job_id,) if runs else (result, job_id)
        sigs.append(celery.signature(ASSEMBLE_TASK, args=tail_args, **options))
    return _chain(sigs)


def enqueue(job_id: str, result: dict, steps: list[str], celery: Celery | None = None,
            queue: str | None = None, fuse: bool | None = None) -> None:
    """Publish the job's chain; raises if the broker cannot take it."""
    build_chain(job_id, result, steps, celery, queue, fuse).apply_async()
