"""The job lifecycle: one table of events, one function that records them, one place that
turns an exception into the job's problem.

    accept ──> queued ──start──> running ──step_done──> running
                 │  ^               │
                 │  └──requeue──────┤            (the sweeper: no progress past the deadline)
                 └──succeed/fail────┴──succeed/fail──> succeeded | failed
    delete, expire: any state -> gone

Every write to a job record goes through ``record`` and the store's Lua guard, which
writes only when the record still exists (a DELETEd job is not resurrected by a late task)
and its status is one the event allows (a redelivered message cannot move a finished job).
The API reads states through ``PENDING`` and ``is_finished``; the worker emits events.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from jobs.problems import problem_dict

STATUSES = ("queued", "running", "succeeded", "failed")
PENDING = ("queued", "running")
FINISHED = ("succeeded", "failed")


@dataclass(frozen=True)
class Event:
    name: str
    allowed: tuple[str, ...]      # statuses the record may be in for the event to apply
    target: str | None            # the status it leaves (None: record removed)
    counter: str = ""             # the /metrics counter it bumps
    refresh_ttl: bool = False     # a finished record lives JOB_TTL_SECONDS from now
    pending_index: str = ""       # "touch": the deadline moves on; "drop": not pending any more
    # Fields written only when the event takes the job out of "queued" (started_at: the
    # first start, or a failure before any start).
    on_leaving_queued: tuple[str, ...] = field(default=())


# accept and delete/expire are recorded by the store itself (a new key; DEL; Redis TTL),
# listed here so that the table is the whole story.
EVENTS: dict[str, Event] = {e.name: e for e in (
    Event("accept", (), "queued", counter="created", pending_index="touch"),
    Event("start", PENDING, "running", on_leaving_queued=("started_at",)),
    Event("step_done", ("running",), "running"),
    Event("requeue", PENDING, "queued", counter="requeued", pending_index="touch"),
    Event("succeed", PENDING, "succeeded", counter="succeeded", refresh_ttl=True,
          pending_index="drop", on_leaving_queued=("started_at",)),
    Event("fail", PENDING, "failed", counter="failed", refresh_ttl=True,
          pending_index="drop", on_leaving_queued=("started_at",)),
    Event("delete", STATUSES, None, counter="deleted", pending_index="drop"),
    Event("expire", STATUSES, None),
)}

# What ``record`` answers.
WRITTEN, GONE, REFUSED = 1, 0, -1


@dataclass(frozen=True)
class Outcome:
    code: int                     # WRITTEN, GONE (no such job) or REFUSED (state forbids it)
    prior: str | None = None      # the status before the event
    values: dict = field(default_factory=dict)   # fields asked for with ``returning``

    @property
    def written(self) -> bool:
        return self.code == WRITTEN


def record(store, job_id: str, event: str, *, returning: tuple[str, ...] = (),
           stats: dict | None = None, **fields) -> Outcome:
    """Record ``event`` on the job with ``fields`` written (the status is the event's).

    ``returning`` names record fields read back in the same round trip (the worker's
    ``start`` reads the article with it); ``stats`` are fields of the shared stats hash
    written with it (a worker process's histogram, see jobs.store.Stats)."""
    ev = EVENTS[event]
    if ev.target is None or event == "accept":
        raise ValueError(f"{event} is recorded by the store (create/delete), not by record()")
    return store.transition(job_id, ev, {"status": ev.target, **fields}, returning, stats or {})


def is_pending(status: str | None) -> bool:
    return status in PENDING


# -- exceptions -> the job's problem ---------------------------------------------------------

def problem_for(kind: str, step: str | None, *, detail: str | None = None,
                soft_limit: float | None = None, hard_limit: float | None = None) -> dict:
    """The problem document a failed job carries, by what went wrong:

    ``invalid-input`` (the pipeline refused the input: ``detail`` says why, it is safe to
    show), ``soft-timeout``, ``hard-timeout``, ``unavailable`` (a dependency stayed away
    through the retries), ``stalled`` (no progress past the deadline, requeued once
    already), ``redelivered`` (its worker process was lost too many times), anything
    else: ``step-failed`` with no detail from the exception (tracebacks go to the log).
    """
    what = repr(step or "assemble")
    if kind == "invalid-input":
        return problem_dict(422, "invalid-input", detail, step=step)
    if kind == "soft-timeout":
        return problem_dict(504, "step-timeout",
                            f"step {what} took longer than its limit of {soft_limit:g} s", step=step)
    if kind == "hard-timeout":
        return problem_dict(504, "step-timeout",
                            f"step {what} was stopped at its hard time limit of {hard_limit:g} s",
                            step=step)
    if kind == "unavailable":
        return problem_dict(503, "step-failed",
                            f"step {what} failed: a dependency stayed unavailable", step=step)
    if kind == "stalled":
        return problem_dict(500, "job-stalled", detail, step=step)
    if kind == "redelivered":
        return problem_dict(500, "step-failed", detail, step=step)
    return problem_dict(500, "step-failed", f"step {what} failed unexpectedly", step=step)
