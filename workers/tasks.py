"""Celery tasks: each runs some of a job's steps and records what happened as lifecycle
events (jobs/lifecycle.py). A message carries the job id only.

One routine, ``run_job(job_id, steps, final)``, serves every task:

1. ``start``: the job becomes running and its article (or the partial document the task
   before it left) is read back in the same round trip; a deleted or finished job stops
   here (a redelivered message);
2. each step runs on the document; ``step_done`` records the progress, at most every
   ``PROGRESS_INTERVAL_SECONDS`` (a job of quick steps has its progress recorded with its
   result); the last step of a task that hands over to another queue always records it,
   with the partial document;
3. ``final``: the result is assembled and ``succeed`` stores it, once.

Outcomes: ``PipelineError`` (input the pipeline cannot work on) fails the job, never
retried; the soft time limit fails it (``on_failure`` does the same at the hard limit, in
the worker's main process); a transient Redis fault is retried in place with backoff
(1, 2, 4 s, ``STEP_MAX_RETRIES``), then the job fails, or, if even that cannot be recorded,
the message is put back; a message redelivered because its worker died runs again at most
``STEP_MAX_REDELIVERIES`` times per step; anything else fails the job with a generic
problem (the traceback goes to the worker log, never to the client). Every problem comes
from ``jobs.lifecycle.problem_for``.

Engines are loaded once per worker process (``worker_process_init``), not per task.
"""
from __future__ import annotations

import json
import logging
import time

import redis
from billiard.exceptions import WorkerLostError
from celery import Task, signals
from celery.exceptions import Ignore, Reject, SoftTimeLimitExceeded, TimeLimitExceeded

from jobs import lifecycle
from jobs.logs import reset_job, set_job
from jobs.store import JobStore, Stats, now_iso
from workers.celery_app import ASSEMBLE_TASK, RUN_TASK, app, settings, step_task_name
from nlp import STEPS, Document, PipelineError, enrich, finish, new_document, register_interrupt, run_step

log = logging.getLogger("workers.tasks")

# Layers contain their own failures, but the soft time limit must stop the step.
register_interrupt(SoftTimeLimitExceeded)

TRANSIENT = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

# Engine per step, as nlp.run_step takes them; None: each layer's default.
ENGINES = ({"segmentation": settings.engine, "entities": settings.engine}
           if settings.engine else None)

# A short Arabic text that goes through every available layer at start-up.
_WARM_TEXT = "قال الرئيس محمد في القاهرة إن العلاقات مع الأردن جيدة. وأضاف أن الزيارة مهمة."

_store: JobStore | None = None
_stats = Stats()


def store() -> JobStore:
    global _store
    if _store is None:
        _store = JobStore.from_settings(settings)
    return _store


@signals.worker_process_init.connect
def warm_engines(**_kwargs) -> None:
    """Load every available layer's engine in this worker process, once."""
    global _store, _stats
    _store = None  # a fresh connection pool per process
    _stats = Stats()  # and its own share of the metrics
    started = time.perf_counter()
    try:
        enrich({"text": _WARM_TEXT}, None, ENGINES)
    except Exception:  # a broken layer must not stop the worker; its jobs will fail clearly
        log.exception("engine warm-up failed")
    else:
        log.info("engines warm in %.0f ms", (time.perf_counter() - started) * 1000)


# Every line logged while a task runs (Celery's own "succeeded"/"raised" lines included)
# carries the task's job id: it is the last argument of every task.
_log_tokens: dict = {}


@signals.task_prerun.connect
def _job_log_context(task_id=None, args=None, **_kwargs) -> None:
    job_id = args[-1] if args and isinstance(args[-1], str) else None
    _log_tokens[task_id] = set_job(job_id)


@signals.task_postrun.connect
def _end_job_log_context(task_id=None, **_kwargs) -> None:
    token = _log_tokens.pop(task_id, None)
    if token is not None:
        try:
            reset_job(token)
        except ValueError:  # set in another context: clear instead
            set_job(None)


# -- recording --------------------------------------------------------------------------------

def _fail(job_id: str, problem: dict, step: str | None) -> None:
    ts = now_iso()
    lifecycle.record(store(), job_id, "fail", error=json.dumps(problem, ensure_ascii=False),
                     updated_at=ts, finished_at=ts, started_at=ts, stats=_stats.snapshot())
    log.info("job failed", extra={"job_id": job_id, "step": step,
                                  "problem": problem["type"].rsplit("/", 1)[-1]})


def _check_redelivery(task, job_id: str, step: str | None) -> None:
    """Count a redelivered message against the job; past the bound, fail the job."""
    if not (task.request.delivery_info or {}).get("redelivered"):
        return  # first delivery: no extra Redis round trip
    what = step or "assemble"
    n = store().count_redelivery(job_id, what)
    log.warning("redelivered message", extra={"job_id": job_id, "step": step, "deliveries": n + 1})
    if n > settings.step_max_redeliveries:
        _fail(job_id, lifecycle.problem_for(
            "redelivered", step, detail=f"step {what!r} was interrupted {n} times (its worker "
            f"process was lost each time); giving up on this input"), step)
        raise Ignore()


def _with_retries(job_id: str, step: str | None, work):
    """``work()``, retried in place on a transient fault, with exponential backoff, at most
    STEP_MAX_RETRIES times. In place rather than with ``task.retry``: that publishes a new
    message, and when the fault is Redis itself (the broker too) the publish fails and
    Celery drops the message it was running: the job was lost (found by
    tests/test_faults.py, Redis restarted under load). Meanwhile the message stays
    unacknowledged, so a worker lost during the backoff loses nothing."""
    attempt = 0
    while True:
        try:
            return work()
        except TRANSIENT as exc:
            if attempt >= settings.step_max_retries:
                raise
            countdown = min(2 ** attempt, 30)
            log.warning(f"transient fault, retry in {countdown:g}s",
                        extra={"job_id": job_id, "step": step, "error": type(exc).__name__})
            time.sleep(countdown)
            attempt += 1


def _guarded(task, job_id: str, step: str | None, work, *, counts_delivery: bool = False):
    """``work()`` with every outcome turned into the job's state (module docstring).
    ``counts_delivery``: this is the run of ``step`` (or the assembly), which a
    redelivered message counts once against the job."""
    checked = [] if counts_delivery else [True]

    def attempt():
        if not checked:  # once per delivery, even when the work is retried
            _check_redelivery(task, job_id, step)
            checked.append(True)
        return work()

    try:
        return _with_retries(job_id, step, attempt)
    except SoftTimeLimitExceeded:
        _fail(job_id, lifecycle.problem_for("soft-timeout", step,
                                            soft_limit=settings.step_soft_time_limit), step)
        raise Ignore()
    except PipelineError as exc:
        _fail(job_id, lifecycle.problem_for("invalid-input", step, detail=str(exc)), step)
        raise Ignore()
    except TRANSIENT as exc:
        try:
            _fail(job_id, lifecycle.problem_for("unavailable", step), step)
        except TRANSIENT:
            # Nothing can record the failure (the store is the dependency that is away), and
            # the record says the job is pending: put the message back rather than drop the
            # job. It runs again when it can, with a fresh set of retries.
            log.error("transient fault outlasted the retries; message put back",
                      extra={"job_id": job_id, "step": step})
            raise Reject(exc, requeue=True) from None
        raise
    except (Ignore, Reject):
        raise
    except Exception:
        log.exception("step raised", extra={"job_id": job_id, "step": step})
        try:
            _fail(job_id, lifecycle.problem_for("unexpected", step), step)
        except Exception:
            log.exception("could not record the failure", extra={"job_id": job_id})
        raise


class JobTask(Task):
    """Base of the job's tasks: a failure the task body could not record still fails the job.

    Celery calls ``on_failure`` in the worker's main process when it kills a child at the
    hard limit (``STEP_TIME_LIMIT``), and in the child for an exception raised outside the
    task body (e.g. the soft limit firing before the body started). Failures the body
    recorded itself are not overwritten: ``fail`` applies to a pending job only. A child
    that died otherwise is redelivered (``reject_on_worker_lost``), so that one is left alone.
    """

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        if isinstance(exc, WorkerLostError) or not args:
            return
        job_id = args[-1]  # every task takes the job id last
        step = self.name.rsplit(".", 1)[-1] if self.name.startswith("enrich.step.") else None
        if self.name == RUN_TASK and len(args) == 3:
            step = _blame(job_id, args[0])
        if isinstance(exc, TimeLimitExceeded):
            problem = lifecycle.problem_for("hard-timeout", step, hard_limit=settings.step_time_limit)
        elif isinstance(exc, SoftTimeLimitExceeded):
            problem = lifecycle.problem_for("soft-timeout", step, soft_limit=settings.step_soft_time_limit)
        else:
            problem = lifecycle.problem_for("unexpected", step)
        try:
            _fail(job_id, problem, step)
        except Exception:
            log.exception("could not record the failure", extra={"job_id": job_id})


def _blame(job_id: str, steps: list[str]) -> str | None:
    """The step to blame when a run fails outside its body (killed at the hard limit): the
    first of its steps the job record does not have done."""
    try:
        job = store().get_many([job_id])[0] or {}
    except Exception:
        job = {}
    done = set(job.get("steps_done") or ())
    return next((s for s in steps if s not in done), None)


# -- the work ---------------------------------------------------------------------------------

def run_job(task, job_id: str, steps: list[str], final: bool) -> None:
    """Run ``steps`` of the job, and finish it when ``final`` (module docstring)."""
    first = steps[0] if steps else None
    begun = _guarded(task, job_id, first, lambda: lifecycle.record(
        store(), job_id, "start", current_step=first or "assemble", updated_at=now_iso(),
        started_at=now_iso(), returning=("input", "partial")))
    if not begun.written:
        raise Ignore()  # deleted, or finished already (a redelivered message)
    doc = _guarded(task, job_id, first, lambda: _document(begun.values))
    written_at = time.monotonic()
    for i, step in enumerate(steps):
        last = i == len(steps) - 1
        if not _guarded(task, job_id, step, lambda: _run_step(step, doc), counts_delivery=True):
            continue  # done by an earlier delivery that handed over the partial document
        if last and final:
            break  # recorded with the success
        handover = last and not final
        if not handover and time.monotonic() - written_at < settings.progress_interval_seconds:
            continue  # a quick step: its progress is recorded with the next write
        written_at = time.monotonic()
        done = _guarded(task, job_id, step, lambda: lifecycle.record(
            store(), job_id, "step_done", steps_done=json.dumps(doc.steps),
            updated_at=now_iso(), current_step=(steps[i + 1] if not last else step),
            **({"partial": json.dumps(doc.to_json(), ensure_ascii=False)} if handover else {}),
            stats=_stats.snapshot() if handover else None))
        if not done.written:
            raise Ignore()
    if final:
        _guarded(task, job_id, None, lambda: _succeed(job_id, doc), counts_delivery=not steps)


def _document(record: dict) -> Document:
    """The job's document: the partial one a task on another queue handed over, else a
    new one from the article as submitted."""
    partial = record.get("partial")
    if partial is not None:
        return Document.from_json(partial)
    return new_document(record.get("input") or {})


def _run_step(step: str, doc: Document) -> bool:
    """Run ``step`` on the document unless it has run already; whether it ran."""
    if step in doc.steps:
        return False
    started = time.perf_counter()
    run_step(step, doc, ENGINES)
    _stats.observe(step, time.perf_counter() - started)
    return True


def _succeed(job_id: str, doc: Document) -> None:
    result = finish(doc)
    _stats.count_engines(result.get("engines") or {})
    ts = now_iso()
    outcome = lifecycle.record(
        store(), job_id, "succeed", steps_done=json.dumps(result["steps"]),
        result=json.dumps(result, ensure_ascii=False), partial="null", updated_at=ts,
        finished_at=ts, started_at=ts, stats=_stats.snapshot())
    if outcome.written:
        log.info("job succeeded", extra={"job_id": job_id})


_TASK_OPTIONS = dict(bind=True, base=JobTask, acks_late=True, reject_on_worker_lost=True)


@app.task(name=RUN_TASK, **_TASK_OPTIONS)
def run_steps(self, steps: list[str], final: bool, job_id: str) -> None:
    """Consecutive steps routed to one queue, in one message; ``final`` assembles."""
    run_job(self, job_id, steps, final)


def _make_step_task(step: str):
    @app.task(name=step_task_name(step), **_TASK_OPTIONS)
    def step_task(self, job_id: str) -> None:
        run_job(self, job_id, [step], False)

    return step_task


STEP_TASKS = {step: _make_step_task(step) for step in STEPS}


@app.task(name=ASSEMBLE_TASK, **_TASK_OPTIONS)
def assemble(self, job_id: str) -> None:
    """The final touches (counts) and the job's success."""
    run_job(self, job_id, [], True)
