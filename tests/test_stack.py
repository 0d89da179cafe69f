"""The launcher (tools/stack.py): shutdown signals, the API's port checked before anything
starts, and every piece stopped by ``Stack.stop()``. The pieces themselves are exercised by
every fixture that starts a process (tests/conftest.py, tests/test_faults.py)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import pytest

from tools.stack import ROOT, Api, Stack, StartError, StopSignals


def test_the_first_stop_signal_interrupts_and_later_ones_are_ignored():
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    with StopSignals() as signals:
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGHUP)  # a closed terminal stops like SIGTERM
            signal.pause()  # not reached: the handler raises first
        assert signals.received == signal.SIGHUP
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # while stopping: ignored
            os.kill(os.getpid(), sig)
    assert {s: signal.getsignal(s) for s in before} == before


@pytest.fixture()
def taken_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_an_api_port_in_use_is_refused_before_the_api_starts(taken_port, tmp_path):
    api = Api(dict(os.environ), tmp_path / "api.log", port=taken_port)
    with pytest.raises(StartError, match="already in use"):
        api.start()
    assert api.process is None


def test_make_run_checks_the_port_before_starting_redis_or_a_worker(taken_port):
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    run = subprocess.run([sys.executable, "-m", "tools.run_local", "--port", str(taken_port)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 1
    assert f"port {taken_port} is already in use" in run.stderr
    assert "starting" not in run.stdout  # neither redis-server nor a worker was started


def test_stop_ends_every_piece_even_one_that_never_got_ready(tmp_path):
    stack = Stack(tmp_path)
    redis = stack.start_redis()
    # A worker whose broker does not answer never becomes ready.
    worker = stack.start_worker("never-ready", env={"REDIS_URL": "redis://127.0.0.1:1/0"}, wait=False)
    with pytest.raises(StartError):
        worker.wait_ready(timeout=1)
    stack.stop()
    assert not redis.alive and not worker.alive and stack.pieces == []
