"""Which messages a job's steps travel in, and to which queues: pure data, so that the API
(which publishes a job) and the workers (which run it, and the sweeper's requeue) agree
without importing each other.

Every message carries the job id and nothing of the article or the result: a task reads
the article (or the partial document left by the task before it) from the job record.

    RUN_TASK(steps, final, job_id)   consecutive steps routed to one queue; ``final``: it
                                     also assembles the result and finishes the job
    step_task_name(step)(job_id)     one step (FUSE_STEPS=0)
    ASSEMBLE_TASK(job_id)            the final touches, when the last run cannot do them
"""
from __future__ import annotations

from typing import NamedTuple

ASSEMBLE_TASK = "enrich.assemble"
RUN_TASK = "enrich.run"


# A job's messages after the first are published by a worker when the task before them
# ends. Were Redis away then, a publish retry policy as short as the API's (which must
# answer 503 quickly) would give up and the job's message would be dropped (seen with two
# queues and Redis restarted under load: tools/test_containers.py). A worker can wait:
# those publishes ride out an outage of about a minute, its own message unacknowledged.
SUCCESSOR_RETRY_POLICY = {"max_retries": 60, "interval_start": 0.5, "interval_step": 0.5,
                          "interval_max": 1.0}


def step_task_name(step: str) -> str:
    return f"enrich.step.{step}"


class Message(NamedTuple):
    task: str
    args: tuple
    queue: str | None             # None: the task's own route (task_routes)


def plan(job_id: str, steps: list[str], settings, *, queue: str | None = None,
         fuse: bool | None = None) -> list[Message]:
    """The messages of one job, in order. ``queue`` sends all of them to that queue."""
    fuse = settings.fuse_steps if fuse is None else fuse
    route = (lambda _step: queue) if queue else settings.queue_for
    if not fuse:
        return [*(Message(step_task_name(s), (job_id,), queue) for s in steps),
                Message(ASSEMBLE_TASK, (job_id,), queue)]
    runs: list[tuple[str, list[str]]] = []
    for step in steps:
        q = route(step)
        if runs and runs[-1][0] == q:
            runs[-1][1].append(step)
        else:
            runs.append((q, [step]))
    assemble_queue = route("assemble")
    messages = []
    for i, (q, run) in enumerate(runs):
        final = i == len(runs) - 1 and q == assemble_queue
        messages.append(Message(RUN_TASK, (run, final, job_id), q))
    if not runs or runs[-1][0] != assemble_queue:
        messages.append(Message(ASSEMBLE_TASK, (job_id,), queue))
    return messages


def queues(settings, steps) -> list[str]:
    """Every queue a job's messages can go to (for the queue-depth metric)."""
    return sorted({settings.default_queue, *(settings.queue_for(s) for s in (*steps, "assemble"))})
