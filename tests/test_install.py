"""`pip install .` gives the `enrich` command and the client, usable outside the checkout.

Built offline (``--no-index --no-build-isolation``, with the test venv's setuptools and
wheel on PYTHONPATH) from a copy of the tracked files, so the test writes nothing into the
tree. The runtime dependencies are not installed again: they come from the same PYTHONPATH.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for rel in filter(None, files.decode().split("\0")):
        if (ROOT / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    env = {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"]}
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-deps",
                          "--no-index", "--no-build-isolation", str(src)],
                         capture_output=True, text=True, timeout=300, cwd=tmp, env=env)
    assert pip.returncode == 0, pip.stdout[-2000:] + pip.stderr[-2000:]
    return venv, env, tmp


def test_enrich_is_a_command(installed):
    venv, env, tmp = installed
    out = subprocess.run([str(venv / "bin" / "enrich"), "--help"], capture_output=True, text=True,
                         env=env, cwd=tmp, timeout=120)
    assert out.returncode == 0 and out.stdout.startswith("usage: enrich"), out.stderr[-2000:]
    text = "زار الرئيس الفرنسي إيمانويل ماكرون القاهرة يوم الأحد."
    out = subprocess.run([str(venv / "bin" / "enrich"), "--steps", "segmentation,entities", "-"],
                         input=text, capture_output=True, text=True, env=env, cwd=tmp, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    doc = json.loads(out.stdout)
    assert {("إيمانويل ماكرون", "PER"), ("القاهرة", "LOC")} <= {(e["text"], e["type"]) for e in doc["entities"]}


def test_the_installed_packages_are_used_not_the_checkout(installed):
    venv, env, tmp = installed
    code = ("import enrichment_client, workers, service.ops as ops, service.demo as demo\n"
            "from enrichment_client import EnrichmentClient\n"
            "print(enrichment_client.__file__, workers.__file__, ops.SPEC_PATH.is_file(),"
            " (demo.STATIC / 'demo.js').is_file())")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True, text=True,
                         env=env, cwd=tmp, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    client_file, workers_file, spec, demo_js = out.stdout.split()
    assert client_file.startswith(str(venv)) and workers_file.startswith(str(venv))
    assert spec == demo_js == "True"
