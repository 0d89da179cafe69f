"""Celery tasks: one per pipeline step, then ``assemble``; each updates the job record.

A step task receives the result dict from the previous task, runs its layer on it with
``nlp.run_step`` and hands it on. Outcomes:

- the job was deleted, or is already finished (a redelivered message): do nothing and stop
  the chain (``Ignore``);
- ``PipelineError`` (input the pipeline cannot work on): the job fails with that message;
  never retried, it would fail the same way;
- soft time limit: the job fails with ``step-timeout``; at the hard limit the child is
  killed and ``JobTask.on_failure`` (in the worker's main process) records the same;
- a transient fault (Redis connection/timeout while updating the record): retried in
  place with exponential backoff (1, 2, 4 s), at most ``STEP_MAX_RETRIES`` times; a step
  that already ran on the result is not run again. If even the failure cannot be recorded
  then, the message is put back (the job is not dropped while its record says pending);
- a message redelivered because its worker process died: runs again, but at most
  ``STEP_MAX_REDELIVERIES`` times per step, then the job fails (an input that crashes the
  process is not redelivered for ever);
- anything else: the job fails with a generic ``step-failed`` problem (the traceback goes
  to the worker log, never to the client) and the exception is re-raised for Celery's log.

Engines are loaded once per worker process (``worker_process_init``), not per task.
"""
from __future__ import annotations

import logging
import os
import time

import redis
from celery import Task, signals
from billiard.exceptions import WorkerLostError
from celery.exceptions import Ignore, Reject, SoftTimeLimitExceeded, TimeLimitExceeded

from jobs.logs import reset_job, set_job
from jobs.problems import problem_dict
from jobs.store import JobStore
from workers.celery_app import ASSEMBLE_TASK, RUN_TASK, app, settings, step_task_name
from nlp import STEPS, PipelineError, enrich, finish, register_interrupt, run_step

log = logging.getLogger("workers.tasks")

# Layers contain their own failures, but the soft time limit must stop the step.
register_interrupt(SoftTimeLimitExceeded)

TRANSIENT = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)
MAX_RETRIES = int(os.environ.get("STEP_MAX_RETRIES", "3"))
# A message redelivered because its worker died (SIGKILL, OOM, a crash in native code) runs
# again, at most this many times; then the job fails. Without a bound, an input that kills
# the process would be redelivered for ever (reject_on_worker_lost).
MAX_REDELIVERIES = int(os.environ.get("STEP_MAX_REDELIVERIES", "3"))

# Engine per step, as nlp.run_step takes them; None: each layer's default.
ENGINES = ({"segmentation": settings.engine, "entities": settings.engine}
           if settings.engine else None)

# A short Arabic text that goes through every available layer at start-up.
_WARM_TEXT = "قال الرئيس محمد في القاهرة إن العلاقات مع الأردن جيدة. وأضاف أن الزيارة مهمة."

_store: JobStore | None = None


def store() -> JobStore:
    global _store
    if _store is None:
        _store = JobStore.from_settings(settings)
    return _store


@signals.worker_process_init.connect
def warm_engines(**_kwargs) -> None:
    """Load every available layer's engine in this worker process, once."""
    global _store
    _store = None  # a fresh connection pool per process
    started = time.perf_counter()
    try:
        enrich({"text": _WARM_TEXT}, None, ENGINES)
    except Exception:  # a broken layer must not stop the worker; its jobs will fail clearly
        log.exception("engine warm-up failed")
    else:
        log.info("engines warm in %.0f ms", (time.perf_counter() - started) * 1000)


# Every line logged while a task runs (Celery's own "succeeded"/"raised" lines included)
# carries the task's job id: it is the last argument of every task of a job's chain.
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


def _retry_countdown(retries: int) -> float:
    return min(2 ** retries, 30)


def _fail(job_id: str, status: int, slug: str, detail: str, step: str | None) -> None:
    store().fail(job_id, problem_dict(status, slug, detail, step=step))
    log.info("job failed", extra={"job_id": job_id, "step": step, "problem": slug})


def _check_redelivery(task, job_id: str, step: str | None) -> None:
    """Count a redelivered message against the job; past the bound, fail the job."""
    if not (task.request.delivery_info or {}).get("redelivered"):
        return  # first delivery: no extra Redis round trip
    what = step or "assemble"
    n = store().count_redelivery(job_id, what)
    log.warning("redelivered message", extra={"job_id": job_id, "step": step, "deliveries": n + 1})
    if n > MAX_REDELIVERIES:
        _fail(job_id, 500, "step-failed",
              f"step {what!r} was interrupted {n} times (its worker process was lost each "
              f"time); giving up on this input", step)
        raise Ignore()


def _with_retries(job_id: str, step: str | None, work):
    """``work()``, retried in place on a transient fault, with exponential backoff, at most
    MAX_RETRIES times. In place rather than with ``task.retry``: that publishes a new
    message, and when the fault is Redis itself (the broker too) the publish fails and
    Celery drops the message it was running (Reject, requeue=False): the job was lost
    (found by tests/test_faults.py, Redis restarted under load). Meanwhile the message
    stays unacknowledged, so a worker lost during the backoff loses nothing."""
    attempt = 0
    while True:
        try:
            return work()
        except TRANSIENT as exc:
            if attempt >= MAX_RETRIES:
                raise
            countdown = _retry_countdown(attempt)
            log.warning(f"transient fault, retry in {countdown:g}s",
                        extra={"job_id": job_id, "step": step, "error": type(exc).__name__})
            time.sleep(countdown)
            attempt += 1


def _run(task, job_id: str, step: str | None, work):
    """Shared outcome handling for step and assemble tasks (see module docstring)."""
    checked = []

    def attempt():
        if not checked:  # once per delivery, even when the work is retried
            _check_redelivery(task, job_id, step)
            checked.append(True)
        return work()

    try:
        return _with_retries(job_id, step, attempt)
    except SoftTimeLimitExceeded:
        _fail(job_id, 504, "step-timeout",
              f"step {step or 'assemble'!r} took longer than its limit of "
              f"{settings.step_soft_time_limit:g} s", step)
        raise Ignore()
    except PipelineError as exc:
        _fail(job_id, 422, "invalid-input", str(exc), step)
        raise Ignore()
    except TRANSIENT as exc:
        try:
            _fail(job_id, 503, "step-failed",
                  f"step {step or 'assemble'!r} failed: a dependency stayed unavailable", step)
        except TRANSIENT:
            # Nothing can record the failure (the store is the dependency that is away), and
            # the record says the job is pending: put the message back rather than drop the
            # job. It runs again when it can (at once, or after the broker's visibility
            # timeout when the broker is away too), with a fresh set of retries.
            log.error("transient fault outlasted the retries; message put back",
                      extra={"job_id": job_id, "step": step})
            raise Reject(exc, requeue=True) from None
        raise
    except (Ignore, Reject, task.MaxRetriesExceededError):
        raise
    except Exception:
        log.exception("step raised", extra={"job_id": job_id, "step": step})
        try:
            _fail(job_id, 500, "step-failed",
                  f"step {step or 'assemble'!r} failed unexpectedly", step)
        except Exception:
            log.exception("could not record the failure", extra={"job_id": job_id})
        raise


class JobTask(Task):
    """Base of the job's tasks: a failure the task body could not record still fails the job.

    Celery calls ``on_failure`` in the worker's main process when it kills a child at the
    hard limit (``STEP_TIME_LIMIT``), and in the child for an exception raised outside the
    task body (e.g. the soft limit firing before the body started). Failures the body
    recorded itself (``_run``) are not overwritten: the store only fails a pending job.
    A child that died otherwise is redelivered (``reject_on_worker_lost``), so that one is
    left alone.
    """

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        if isinstance(exc, WorkerLostError) or len(args) < 2:
            return
        job_id = args[-1]  # every task of a job's chain takes the job id last
        step = self.name.rsplit(".", 1)[-1] if self.name.startswith("enrich.step.") else None
        if self.name == RUN_TASK:
            step = _current_step(args)
        what = step or "assemble"
        if isinstance(exc, TimeLimitExceeded):
            problem = (504, "step-timeout",
                       f"step {what!r} was stopped at its hard time limit of {settings.step_time_limit:g} s")
        elif isinstance(exc, SoftTimeLimitExceeded):
            problem = (504, "step-timeout",
                       f"step {what!r} took longer than its limit of {settings.step_soft_time_limit:g} s")
        else:
            problem = (500, "step-failed", f"step {what!r} failed unexpectedly")
        try:
            _fail(job_id, *problem, step)
        except Exception:
            log.exception("could not record the failure", extra={"job_id": job_id})


def _step_work(step: str, result: dict, job_id: str) -> dict:
    """One step on the result, and the job record updated after it."""
    # The first step moves the job to running; later steps learn that the job was
    # deleted or has finished (a redelivered message) from step_done, one Redis
    # round trip fewer per step. Either way the chain stops (Ignore).
    if not result["steps"] and store().mark_running(job_id, step) != 1:
        raise Ignore()
    # A retried message carries the result as this task left it: if the step
    # already ran on it (a transient fault hit the record update), do not run it twice.
    took = None
    if step not in result["steps"]:
        started = time.perf_counter()
        run_step(step, result, ENGINES)
        took = time.perf_counter() - started
    if store().step_done(job_id, list(result["steps"]), step, took) != 1:
        raise Ignore()
    return result


def _current_step(args) -> str | None:
    """The step to blame when a RUN_TASK fails outside its body (e.g. killed at the hard
    limit): its first step the message's result had not done (the child's progress died
    with it; the job record's steps_done tells how far it got)."""
    result, steps = args[0], args[1]
    done = set(result.get("steps", ())) if isinstance(result, dict) else set()
    return next((s for s in steps if s not in done), None)


def _make_step_task(step: str):
    @app.task(name=step_task_name(step), bind=True, base=JobTask, acks_late=True,
              reject_on_worker_lost=True)
    def step_task(self, result: dict, job_id: str) -> dict:
        return _run(self, job_id, step, lambda: _step_work(step, result, job_id))

    return step_task


STEP_TASKS = {step: _make_step_task(step) for step in STEPS}


def _assemble_work(result: dict, job_id: str) -> None:
    finish(result)
    if store().succeed(job_id, result) == 1:
        log.info("job succeeded", extra={"job_id": job_id})


@app.task(name=ASSEMBLE_TASK, bind=True, base=JobTask, acks_late=True, reject_on_worker_lost=True)
def assemble(self, result: dict, job_id: str) -> None:
    """Final touches (counts, internal keys removed) and the job's success."""
    return _run(self, job_id, None, lambda: _assemble_work(result, job_id))


@app.task(name=RUN_TASK, bind=True, base=JobTask, acks_late=True, reject_on_worker_lost=True)
def run_steps(self, result: dict, steps: list[str], final: bool, job_id: str) -> dict | None:
    """Consecutive steps routed to one queue, in one message (workers.celery_app.FUSE_STEPS);
    each step is handled and recorded exactly as by its own task, and ``final`` assembles.
    The task's time limits cover the steps it runs."""
    for step in steps:
        _run(self, job_id, step, lambda: _step_work(step, result, job_id))
    if final:
        return _run(self, job_id, None, lambda: _assemble_work(result, job_id))
    return result
