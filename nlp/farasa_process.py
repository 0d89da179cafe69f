"""One long-lived line-protocol subprocess (a Farasa jar in a warm JVM), generic.

Farasa's jars in interactive mode read one line on stdin and answer one line on stdout.
``LineProcess`` owns such a process for one worker process:

* starts it lazily, in the process that uses it (a process forked after start, e.g. a
  Celery prefork child, starts its own instead of sharing the parent's pipes);
* ``call(line) -> str`` writes one line and reads one answer line, with a time limit;
* if the process has died (EOF, broken pipe, exit) or does not answer in time, it is
  restarted once and the call retried; if that fails too, ``EngineFailed`` is raised
  with a clear message (which program, exit status, the last lines of its stderr);
* stderr is drained on a thread so a chatty JVM never blocks on a full pipe.

Used by both Farasa engines: the text layer's segmenter (FarasaSegmenterJar) and the
entity layer's tagger (FarasaNERJar). It knows nothing about Farasa's output format. Imports neither Flask nor Celery.
"""
from __future__ import annotations

import atexit
import collections
import importlib.metadata
import logging
import os
import selectors
import shutil
import subprocess
import threading
import time
import weakref
from pathlib import Path

from nlp import PipelineError

log = logging.getLogger(__name__)


class EngineUnavailable(PipelineError):
    """The engine cannot be started here (jar or java missing). Retrying will not help."""

    def __init__(self, message: str):
        super().__init__(message, code="engine-unavailable")


class EngineFailed(PipelineError):
    """The engine process died or hung twice in a row for one call."""

    def __init__(self, message: str):
        super().__init__(message, code="engine-failed")


class _Died(Exception):
    pass


def find_jar(env_var: str, jar_name: str, *, bin_dirs: list[Path] | tuple = ()) -> Path:
    """Locate a jar without ever downloading anything.

    Order: the file named by ``$env_var``; ``$FARASA_BIN_DIR/lib/<jar_name>`` and
    ``$FARASA_BIN_DIR/<jar_name>``; then each of ``bin_dirs`` the same way (e.g.
    farasapy's own ``farasa_bin`` folder). Raises EngineUnavailable with what was tried.
    """
    given = os.environ.get(env_var, "").strip()
    if given:
        path = Path(given).expanduser()
        if path.is_file():
            return path
        raise EngineUnavailable(f"{env_var}={given} is not a file; point it at {jar_name}")
    tried = []
    dirs = []
    if os.environ.get("FARASA_BIN_DIR", "").strip():
        dirs.append(Path(os.environ["FARASA_BIN_DIR"].strip()).expanduser())
    dirs.extend(Path(d) for d in bin_dirs)
    for d in dirs:
        for cand in (d / "lib" / jar_name, d / jar_name):
            tried.append(str(cand))
            if cand.is_file():
                return cand
    raise EngineUnavailable(
        f"{jar_name} not found (set {env_var} to the jar, or FARASA_BIN_DIR to the folder "
        f"holding it; tried: {', '.join(tried) or 'nothing'}). Jars are never downloaded "
        "at run time.")


def java_available() -> str:
    java = shutil.which(os.environ.get("FARASA_JAVA", "java"))
    if java is None:
        raise EngineUnavailable("java not found on PATH (Farasa engines need Java 8 or later)")
    return java


# Farasa answers its first call slowly (the JVM loads its model): a warm-up word at start.
_WARMUP_LINE = "\u0627\u062e\u062a\u0628\u0627\u0631"


def jar_process(farasapy_class, jar: Path, *, call_timeout: float,
                startup_timeout: float) -> "LineProcess":
    """A LineProcess running ``jar`` with farasapy's own command for ``farasapy_class``
    (``java -Dfile.encoding=UTF-8 -jar <jar>``; ``FARASA_JAVA`` replaces ``java``).
    farasapy's constructor is never called: it would download ``farasa_bin.zip`` when its
    bin folder is incomplete, and write a cache and a tmp folder."""
    java_available()
    shell = farasapy_class.__new__(farasapy_class)
    shell.bin_path = Path(jar)  # what binary_path=jar would set
    argv = list(shell.command)
    if os.environ.get("FARASA_JAVA"):
        argv[0] = os.environ["FARASA_JAVA"]
    return LineProcess(argv, name=Path(jar).name, call_timeout=call_timeout,
                       startup_timeout=startup_timeout, warmup_line=_WARMUP_LINE)


def jar_version(jar: Path) -> str:
    """How a result names a jar engine."""
    try:
        farasapy = importlib.metadata.version("farasapy")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - broken install
        farasapy = "unknown"
    return f"{Path(jar).name} via farasapy {farasapy}"


_LIVE: "weakref.WeakSet[LineProcess]" = weakref.WeakSet()


class LineProcess:
    """A subprocess answering one stdout line per stdin line."""

    def __init__(self, argv: list[str], *, name: str | None = None,
                 startup_timeout: float = 120.0, call_timeout: float = 60.0,
                 warmup_line: str | None = None, env: dict | None = None,
                 cwd: str | None = None):
        self.argv = [str(a) for a in argv]
        self.name = name or Path(self.argv[-1]).name
        self.startup_timeout = startup_timeout
        self.call_timeout = call_timeout
        self.warmup_line = warmup_line
        self.env = env
        self.cwd = cwd
        self.restarts = 0
        self._proc: subprocess.Popen | None = None
        self._pid_owner: int | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=20)
        self._buf = b""
        self._lock = threading.RLock()
        _LIVE.add(self)

    # -- lifecycle ---------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def alive(self) -> bool:
        return (self._proc is not None and self._pid_owner == os.getpid()
                and self._proc.poll() is None)

    def start(self) -> None:
        with self._lock:
            if self.alive():
                return
            self._spawn()

    def _spawn(self) -> None:
        self._discard()
        try:
            proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, bufsize=0, env=self.env,
                                    cwd=self.cwd, start_new_session=True)
        except OSError as exc:
            raise EngineUnavailable(f"cannot start {self.name}: {exc.strerror or exc}") from exc
        self._proc = proc
        self._pid_owner = os.getpid()
        self._buf = b""
        self._stderr.clear()
        threading.Thread(target=self._drain_stderr, args=(proc,), daemon=True,
                         name=f"{self.name}-stderr").start()
        if self.warmup_line is not None:
            # The first answer comes after the model has loaded: a longer time limit.
            self._roundtrip(self.warmup_line, self.startup_timeout)

    def _drain_stderr(self, proc: subprocess.Popen) -> None:
        try:
            for raw in iter(proc.stderr.readline, b""):
                self._stderr.append(raw.decode("utf-8", "replace").rstrip())
        except (OSError, ValueError):
            pass

    def _discard(self) -> None:
        """Forget the current process; kill it only if this process started it."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if self._pid_owner != os.getpid():
            return  # a forked child: the parent's JVM is not ours to stop
        for stream in (proc.stdin, proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=3)

    def close(self) -> None:
        with self._lock:
            self._discard()

    # -- calls -------------------------------------------------------------------
    def call(self, line: str) -> str:
        """Send one line (newlines inside become spaces) and return the answer line."""
        line = line.replace("\r", " ").replace("\n", " ")
        with self._lock:
            first_error = None
            for attempt in (1, 2):
                try:
                    if not self.alive():
                        if attempt == 1 and self._proc is not None and self._pid_owner == os.getpid():
                            raise _Died(self._death_note("had exited before the call"))
                        self._spawn()
                    return self._roundtrip(line, self.call_timeout)
                except _Died as exc:
                    if attempt == 1:
                        first_error = exc
                        self.restarts += 1
                        log.warning("%s died (%s); restarting once", self.name, exc)
                        self._discard()
                        continue
                    self._discard()
                    raise EngineFailed(f"{self.name} failed twice: {first_error}; "
                                       f"after restart: {exc}") from exc
                except BaseException:
                    # Interrupted mid-call (a task's soft time limit): the answer may still
                    # be on its way, and the next call would read it as its own. Start the
                    # next call on a fresh process.
                    self._discard()
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _death_note(self, what: str) -> str:
        proc = self._proc
        code = proc.poll() if proc is not None else None
        note = f"{self.name} {what}"
        if code is not None:
            note += f" (exit status {code})"
        time.sleep(0.05)  # let the stderr thread catch the last words
        tail = " | ".join(list(self._stderr)[-3:])
        if tail:
            note += f"; stderr: {tail[:500]}"
        return note

    def _roundtrip(self, line: str, timeout: float) -> str:
        proc = self._proc
        assert proc is not None
        try:
            proc.stdin.write(line.encode("utf-8", "replace") + b"\n")
            proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError) as exc:
            raise _Died(self._death_note(f"could not take input ({exc.__class__.__name__})"))
        deadline = time.monotonic() + timeout
        fd = proc.stdout.fileno()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buf:
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    self._kill_hung()
                    raise _Died(self._death_note(f"gave no answer within {timeout:g}s"))
                chunk = os.read(fd, 65536)
                if not chunk:
                    try:
                        proc.wait(timeout=1)
                    except subprocess.TimeoutExpired:
                        pass
                    raise _Died(self._death_note("closed its output"))
                self._buf += chunk
        answer, _, self._buf = self._buf.partition(b"\n")
        return answer.decode("utf-8", "replace").rstrip("\r")

    def _kill_hung(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                pass


@atexit.register
def _close_all() -> None:
    for p in list(_LIVE):
        try:
            p.close()
        except Exception:  # noqa: BLE001 - best effort at interpreter exit
            pass
