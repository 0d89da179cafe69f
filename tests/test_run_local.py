"""`make run` (tools/run_local.py) as a person or a process manager uses it: started as its
own process group, stopped by Ctrl-C (twice, quickly), by SIGTERM to the whole group (sent
twice, as `make` forwards it again), or by SIGHUP (the terminal closed, so its output has
nowhere to go). Each time: it exits cleanly and no redis-server, Celery or gunicorn process
it started is left, and the port is free again. Real processes throughout.
"""
from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tools.run_local import free_port, port_in_use

pytestmark = pytest.mark.slow


def _ppids() -> dict[int, int]:
    out = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                out[int(d.name)] = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    return out


def _descendants(pid: int) -> set[int]:
    ppids = _ppids()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, pp in ppids.items() if pp in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Run:
    """`python -m tools.run_local` in a new session; its output read through a pipe."""

    def __init__(self, tmp_path: Path, port: int):
        self.port = port
        r, w = os.pipe()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        env.pop("REDIS_URL", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tools.run_local", "--port", str(port), "--run-dir", str(tmp_path / "run")],
            cwd=ROOT, env=env, stdout=w, stderr=w, stdin=subprocess.DEVNULL, start_new_session=True)
        os.close(w)
        self.fd = r
        self.out = ""

    def read(self, timeout: float) -> bool:
        """Read what is there within ``timeout``; False at end of output."""
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        chunk = os.read(self.fd, 65536)
        self.out += chunk.decode(errors="replace")
        return bool(chunk)

    def wait_for(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.out:
            assert time.monotonic() < deadline, f"no {text!r} in {timeout:.0f} s:\n{self.out[-3000:]}"
            if not self.read(0.5):
                raise AssertionError(f"exited before {text!r}:\n{self.out[-3000:]}")

    def finish(self, timeout: float = 90) -> int:
        deadline = time.monotonic() + timeout
        if self.fd is not None:
            while self.read(0.5):
                assert time.monotonic() < deadline, f"still running:\n{self.out[-3000:]}"
            os.close(self.fd)
            self.fd = None
        return self.proc.wait(timeout=max(deadline - time.monotonic(), 1))

    def kill(self) -> None:
        for pid in [self.proc.pid, *_descendants(self.proc.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.fd is not None:
            os.close(self.fd)


@pytest.fixture()
def started(tmp_path):
    run = Run(tmp_path, free_port())
    try:
        run.wait_for("ready:", 180)
        children = _descendants(run.proc.pid)
        # redis-server, the worker (and its pool child), gunicorn (and its workers).
        names = {Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                 for p in children if _alive(p)}
        assert any("redis-server" in n for n in names), names
        assert any("celery" in n for n in names) and any("gunicorn" in n for n in names), names
        assert port_in_use(run.port)
        yield run, children
    finally:
        run.kill()  # only if a test failed half-way


def _assert_all_stopped(run: Run, children: set[int]) -> None:
    left = [p for p in children if _alive(p)]
    assert not left, f"left running: {left}\n{run.out[-3000:]}"
    assert not port_in_use(run.port)
    assert "Traceback" not in run.out, run.out[-3000:]


def test_ctrl_c_twice_stops_everything_without_a_traceback(started):
    run, children = started
    os.killpg(run.proc.pid, signal.SIGINT)
    run.wait_for("stopping", 30)
    os.killpg(run.proc.pid, signal.SIGINT)  # impatient: a second Ctrl-C during the stop
    os.killpg(run.proc.pid, signal.SIGINT)
    assert run.finish() == 0
    assert "stopped." in run.out
    _assert_all_stopped(run, children)


def test_sigterm_to_the_group_twice_stops_everything(started):
    run, children = started
    os.killpg(run.proc.pid, signal.SIGTERM)
    os.kill(run.proc.pid, signal.SIGTERM)  # what make forwards to its child on SIGTERM
    time.sleep(0.2)
    os.killpg(run.proc.pid, signal.SIGTERM)
    assert run.finish() == 0
    assert "SIGTERM" in run.out and "stopped." in run.out
    _assert_all_stopped(run, children)


def test_sighup_with_the_terminal_gone_stops_everything(started):
    run, children = started
    os.close(run.fd)  # the terminal is gone: writing the "stopping" line fails
    run.fd = None
    os.killpg(run.proc.pid, signal.SIGHUP)
    assert run.finish() == 0
    _assert_all_stopped(run, children)


def test_a_taken_port_is_reported_before_anything_starts(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        run = Run(tmp_path, port)
        try:
            assert run.finish(timeout=60) == 1
        finally:
            run.kill()
    assert f"port {port} is already in use" in run.out
    assert "starting" not in run.out
    assert not (tmp_path / "run" / "logs" / "redis.log").exists()
