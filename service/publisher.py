"""Publishing a job's messages to the broker, from the API.

A producer-only Celery app: the API knows the task names and queues (``jobs.routing``)
but none of the worker's code, and a message carries only the job id.
"""
from __future__ import annotations

from celery import Celery, chain

from jobs.routing import SUCCESSOR_RETRY_POLICY, plan
from jobs.settings import Settings


class Publisher:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.celery = Celery("enrich-api", broker=settings.broker, set_as_current=False)
        self.celery.conf.update(
            task_serializer="json", accept_content=["json"], task_ignore_result=True,
            broker_connection_retry_on_startup=True,
            # Publishing while Redis is down must fail fast (the API answers 503), not hang.
            task_publish_retry_policy={"max_retries": 2, "interval_start": 0,
                                       "interval_step": 0.2, "interval_max": 0.5},
            broker_transport_options={"socket_connect_timeout": 2, "socket_timeout": 5,
                                      "visibility_timeout": settings.broker_visibility_timeout},
        )

    def __call__(self, job_id: str, steps: list[str]) -> None:
        """Publish the job's messages; raises if the broker cannot take them."""
        # argsrepr: what the worker logs for the arguments (jobs/logs.py reads the job id).
        sigs = [self.celery.signature(m.task, args=m.args, immutable=True, argsrepr=f"(job_id={job_id})",
                                      queue=m.queue or self.settings.queue_for(_routed_step(m.task)),
                                      **({"retry_policy": SUCCESSOR_RETRY_POLICY} if i else {}))
                for i, m in enumerate(plan(job_id, steps, self.settings))]
        # One message (the usual case: every step on one queue) is sent as it is; the
        # canvas machinery of a chain costs more CPU than the publish itself.
        (sigs[0] if len(sigs) == 1 else chain(*sigs)).apply_async()

    def ping_workers(self, timeout: float) -> bool:
        return bool(self.celery.control.ping(timeout=timeout, limit=1))

    def close(self) -> None:
        self.celery.close()


def _routed_step(task: str) -> str:
    """The step whose queue a task name's message goes to when the plan does not say."""
    return task.rsplit(".", 1)[-1]  # enrich.step.<step> -> <step>, enrich.assemble -> assemble
