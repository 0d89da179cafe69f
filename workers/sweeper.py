"""Runs the sweeper (jobs/sweeper.py) in each worker's main process, in a thread; the
store's lock lets one of them work at a time. Requeued jobs are published like new ones.
"""
from __future__ import annotations

import threading

from celery import signals

from jobs import sweeper
from jobs.store import JobStore
from workers.celery_app import enqueue, settings

_stop = threading.Event()


@signals.worker_ready.connect
def _start(**_kwargs) -> None:
    if settings.sweep_interval_seconds <= 0:
        return  # switched off
    store = JobStore.from_settings(settings)
    thread = threading.Thread(target=sweeper.run_forever, name="sweeper", daemon=True,
                              args=(store, enqueue, settings.sweep_interval_seconds, _stop))
    thread.start()


@signals.worker_shutdown.connect
def _stop_sweeping(**_kwargs) -> None:
    _stop.set()
