"""The `farasa` segmentation engine and the shared JVM line-process module.

STAND-IN: the real Farasa jars cannot be obtained here. These tests compile
tests/stand_in/FarasaStandIn.java with javac into a temp dir and package it as
FarasaSegmenterJar.jar. It speaks Farasa's interactive line protocol but its
"segmentation" is a toy: the tests check process handling only (jar lookup, no download,
start, line protocol, death, restart once, hang, clear errors), not segmentation quality.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from nlp import Document, PipelineError
from nlp.farasa_process import EngineFailed, EngineUnavailable, LineProcess, find_jar
from nlp.text import apply, get_segmenter
from nlp.text import _ENGINES
from nlp.text.segmenters import FarasaJarSegmenter

STAND_IN = Path(__file__).resolve().parent / "stand_in" / "FarasaStandIn.java"
needs_java = pytest.mark.skipif(not (shutil.which("javac") and shutil.which("jar")),
                                reason="JDK (javac, jar) not installed")


@pytest.fixture(scope="module")
def stand_in_jar(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("standin")
    subprocess.run(["javac", "-encoding", "UTF-8", "-d", str(out), str(STAND_IN)], check=True,
                   timeout=120)
    jar = out / "FarasaSegmenterJar.jar"
    subprocess.run(["jar", "cfe", str(jar), "FarasaStandIn", "-C", str(out),
                    "FarasaStandIn.class"], check=True, timeout=120)
    return jar


@pytest.fixture
def engine(stand_in_jar):
    eng = FarasaJarSegmenter(stand_in_jar, call_timeout=20)
    yield eng
    eng.close()


def test_both_farasa_packages_import_side_by_side():
    # PyPI "Farasa" (the port) and "farasapy" both install a top-level package "farasa";
    # only farasa/__init__.py clashes, so each is used through its own submodules.
    import importlib.metadata as md
    import farasa.segmentation as port
    import farasa.segmenter as farasapy_segmenter
    import farasa.ner as farasapy_ner
    assert callable(port.segmentLine) and len(port.hmSeenBefore) > 1000
    assert farasapy_segmenter.FarasaSegmenter.task == "segment"
    assert farasapy_ner.FarasaNamedEntityRecognizer.task
    assert md.version("Farasa") and md.version("farasapy")


def test_missing_jar_is_refused_clearly_and_nothing_is_downloaded(monkeypatch, tmp_path):
    import farasa.segmenter as farasapy_segmenter
    from farasa.__base import FarasaBase  # noqa: F401 - farasapy's base class

    def no_download(*a, **k):
        raise AssertionError("farasapy tried to download")

    monkeypatch.setattr("farasa.__base.FarasaBase.download_binaries", no_download)
    monkeypatch.setattr("requests.get", no_download)
    monkeypatch.delenv("FARASA_SEGMENTER_JAR", raising=False)
    monkeypatch.setenv("FARASA_BIN_DIR", str(tmp_path))
    bin_dir = farasapy_segmenter.FarasaSegmenter.bin_dir
    if (bin_dir / "lib" / "FarasaSegmenterJar.jar").is_file():
        pytest.skip("farasapy's real jars are installed here")
    with pytest.raises(EngineUnavailable, match="FarasaSegmenterJar.jar not found") as err:
        FarasaJarSegmenter.from_settings()
    assert "FARASA_SEGMENTER_JAR" in str(err.value) and "never downloaded" in str(err.value)
    assert err.value.code == "engine-unavailable"
    monkeypatch.setenv("FARASA_SEGMENTER_JAR", str(tmp_path / "missing.jar"))
    with pytest.raises(EngineUnavailable, match="is not a file"):
        FarasaJarSegmenter.from_settings()
    # the pipeline step raises it as a PipelineError (a clear message, no traceback)
    _ENGINES.pop("farasa", None)
    with pytest.raises(PipelineError):
        apply(Document("نص"), engine="farasa")


@needs_java
def test_find_jar_order(monkeypatch, stand_in_jar, tmp_path):
    monkeypatch.delenv("FARASA_SEGMENTER_JAR", raising=False)
    monkeypatch.setenv("FARASA_BIN_DIR", str(stand_in_jar.parent))
    assert find_jar("FARASA_SEGMENTER_JAR", "FarasaSegmenterJar.jar") == stand_in_jar
    monkeypatch.setenv("FARASA_SEGMENTER_JAR", str(stand_in_jar))
    monkeypatch.setenv("FARASA_BIN_DIR", str(tmp_path))
    assert find_jar("FARASA_SEGMENTER_JAR", "FarasaSegmenterJar.jar") == stand_in_jar


@needs_java
def test_segments_through_the_stand_in(engine):
    # toy rule of the stand-in: leading و and ال split off; surface offsets are ours
    assert engine.segment_words(["والكتاب", "كتب", "الـكتاب", "أيضاً"]) == [
        ["و", "ال", "كتاب"], ["كتب"], ["الـ", "كتاب"], ["أيضاً"]]
    assert engine.name == "farasa" and "FarasaSegmenterJar.jar" in engine.version
    pid = engine.process.pid
    engine.segment_words(["والقلم"])
    assert engine.process.pid == pid  # one warm JVM, reused


@needs_java
def test_pipeline_step_with_farasa_engine(monkeypatch, stand_in_jar):
    monkeypatch.setenv("FARASA_SEGMENTER_JAR", str(stand_in_jar))
    _ENGINES.pop("farasa", None)
    try:
        doc = Document("والكتاب جديد.")
        apply(doc, engine="farasa")
        result = doc.to_json()
        assert result["engines"]["segmentation"]["name"] == "farasa"
        assert result["tokens"][0]["segments"] == ["و", "ال", "كتاب"]
        assert get_segmenter("farasa") is get_segmenter("farasa")
    finally:
        eng = _ENGINES.pop("farasa", None)
        if eng is not None:
            eng.close()


@needs_java
def test_dies_once_is_restarted_and_retried(engine, tmp_path, monkeypatch):
    marker = tmp_path / "die-once"
    marker.write_text("x")
    engine.process.env = {**os.environ, "STANDIN_MARKER": str(marker)}
    engine.process.close()
    assert engine.process.call("DIE_ONCE") == "ok"
    assert engine.process.restarts == 1 and not marker.exists()


@needs_java
def test_killed_between_calls_is_restarted(engine):
    engine.segment_words(["والكتاب"])
    old = engine.process.pid
    os.kill(old, signal.SIGKILL)
    assert engine.process.call("والقلم") == "و+ال+قلم"
    assert engine.process.pid != old and engine.process.restarts == 1


@needs_java
def test_dies_twice_gives_a_clear_error(engine):
    with pytest.raises(EngineFailed) as err:
        engine.process.call("DIE")
    msg = str(err.value)
    assert "failed twice" in msg and "exit status 3" in msg and "asked to die" in msg
    assert err.value.code == "engine-failed"
    # and the engine still works for the next call (a fresh JVM)
    assert engine.process.call("كتب") == "كتب"


@needs_java
def test_hang_times_out_then_clear_error(stand_in_jar):
    proc = LineProcess(["java", "-jar", str(stand_in_jar)], name="stand-in", call_timeout=1.5)
    try:
        with pytest.raises(EngineFailed, match="no answer within 1.5s"):
            proc.call("HANG")
    finally:
        proc.close()
    assert proc.pid is None


def test_program_that_cannot_start_is_unavailable():
    proc = LineProcess(["/nonexistent/java-binary", "-jar", "x.jar"], name="x.jar")
    with pytest.raises(EngineUnavailable, match="cannot start x.jar"):
        proc.call("كلمة")


@needs_java
def test_auto_uses_the_jar_when_it_is_there(monkeypatch, stand_in_jar):
    # Stand-in jar: checks that "auto" picks the jar engine, not Farasa's linguistics.
    monkeypatch.setenv("FARASA_SEGMENTER_JAR", str(stand_in_jar))
    _ENGINES.pop("auto", None)
    _ENGINES.pop("farasa", None)
    try:
        doc = Document("والكتاب")
        apply(doc, engine="auto")
        result = doc.to_json()
        assert result["engines"]["segmentation"]["name"] == "farasa"
        assert "fallback" not in result["engines"]["segmentation"]
        assert get_segmenter("auto") is get_segmenter("farasa")  # one JVM per process
    finally:
        _ENGINES.pop("auto", None)
        eng = _ENGINES.pop("farasa", None)
        if eng is not None:
            eng.close()


def test_auto_without_the_jar_falls_back_to_builtin_and_says_so(monkeypatch, tmp_path):
    monkeypatch.delenv("FARASA_SEGMENTER_JAR", raising=False)
    monkeypatch.setenv("FARASA_BIN_DIR", str(tmp_path))
    monkeypatch.setattr("farasa.segmenter.FarasaSegmenter.bin_dir", tmp_path)
    _ENGINES.pop("auto", None)
    _ENGINES.pop("farasa", None)
    try:
        doc = Document("والكتاب")
        apply(doc, engine="auto")
        result = doc.to_json()
        seg = result["engines"]["segmentation"]
        assert seg["name"] == "builtin" and "unavailable" in seg["fallback"]
        assert str(tmp_path) not in seg["fallback"]  # no host paths in a client's result
        assert result["tokens"][0]["segments"] == ["و", "ال", "كتاب"]
    finally:
        _ENGINES.pop("auto", None)


def test_an_interrupted_call_does_not_leave_its_answer_to_the_next(tmp_path):
    # Stand-in line program (Python, slow to answer): checks process handling only. A
    # task's soft time limit can interrupt a call while its answer is still on the way.
    import signal
    import sys
    script = tmp_path / "slow_echo.py"
    script.write_text("import sys, time\n"
                      "for line in sys.stdin:\n"
                      "    time.sleep(0.5)\n"
                      "    print('ANS:' + line.strip(), flush=True)\n")
    proc = LineProcess([sys.executable, str(script)], name="slow-echo", call_timeout=5)

    class Interrupted(Exception):
        pass

    def interrupt(*_):
        raise Interrupted()

    old = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.2)
        with pytest.raises(Interrupted):
            proc.call("one")
        signal.setitimer(signal.ITIMER_REAL, 0)
        assert proc.call("two") == "ANS:two"
        assert proc.call("three") == "ANS:three"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        proc.close()
