"""The demo page (/demo): served under its Content-Security-Policy with no CDN, and driven
in a real browser (Debian's headless Chromium through chromedriver) against the real stack
(gunicorn, worker, Redis): a seed is uploaded, the job followed, the drawing checked
against the job's own result.

The browser tests skip only when no Chromium is installed (`.ci/run` installs it). Set
DEMO_SCREENSHOT=docs/demo.png to refresh the README's screenshots (demo.png, demo-lower.png); by default the
screenshot goes to the test's temp folder, so `make test` never changes the tree.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, SEEDS_DIR, VENV_BIN, _wait_for, free_port, stop_process

TYPES = {"PER", "LOC", "ORG", "MISC"}
SEED = sorted(SEEDS_DIR.glob("000_*.txt"))[0]


def test_demo_page_and_assets_are_served_without_any_cdn(client, check):
    resp = client.get("/demo")
    page = check(resp).decode()
    assert resp.status_code == 200 and resp.mimetype == "text/html"
    assert "http://" not in page and "https://" not in page
    assert "<script>" not in page and " style=" not in page  # nothing inline: the CSP forbids it
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "connect-src 'self'" in csp and "unsafe" not in csp
    for asset, mimetype in (("demo.js", "text/javascript"), ("demo.css", "text/css")):
        assert f"/demo/{asset}" in page
        resp = client.get(f"/demo/{asset}")
        body = check(resp).decode()
        assert resp.status_code == 200 and resp.mimetype == mimetype, asset
        assert "http://" not in body and "https://" not in body, asset
    assert client.get("/demo/../service/app.py").status_code == 404
    check(missing := client.get("/demo/nothing.js"))
    assert missing.status_code == 404


def test_docs_page_links_the_demo(client, check):
    spec = check(client.get("/openapi.yaml")).decode()
    assert "](/demo)" in spec


def test_demo_needs_no_key_when_keys_are_on(settings, celery_app):
    from dataclasses import replace

    from service.app import create_app
    from service.auth import new_key
    key, line = new_key("demo")
    app = create_app(replace(settings, api_keys=line))
    c = app.test_client()
    assert c.get("/demo").status_code == 200
    assert c.get("/demo/demo.js").status_code == 200
    assert c.get("/v1/jobs/" + "0" * 32).status_code == 401


# -- in a real browser ------------------------------------------------------------------------

def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.fixture()
def browser(tmp_path):
    binary = _chromium()
    if binary is None:
        pytest.skip("no Chromium installed (Debian: apt-get install chromium chromium-driver)")
    driver_path = shutil.which("chromedriver")
    assert driver_path, "Chromium is installed but chromedriver is not: apt-get install chromium-driver"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = binary
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1700", "--lang=en-GB",
                 f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver, condition, timeout=90.0, what="the page"):
    from selenium.webdriver.support.ui import WebDriverWait
    return WebDriverWait(driver, timeout, poll_frequency=0.2).until(
        condition, message=f"{what} did not happen in {timeout:.0f} s")


def _csp_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser")
            if e["level"] == "SEVERE" or "Content Security Policy" in e["message"]]


@pytest.mark.slow
def test_a_seed_uploaded_in_a_browser_is_drawn_from_its_result(browser, live_server, check, tmp_path):
    import requests
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    d = browser
    d.get(live_server + "/demo")
    _wait(d, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "yes",
          30, "the script loading")
    d.find_element(By.ID, "file").send_keys(str(SEED))  # an upload, as a person would
    d.find_element(By.ID, "submit").click()
    _wait(d, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-drawn") == "yes",
          120, "the result being drawn")

    # The job was followed from queued to succeeded.
    statuses = [li.get_attribute("data-status") for li in d.find_elements(By.CSS_SELECTOR, "#job-statuses li")]
    assert statuses[0] == "queued" and statuses[-1] == "succeeded", statuses
    job_id = d.find_element(By.ID, "job-id").text
    job = check(requests.get(f"{live_server}/v1/jobs/{job_id}", timeout=10))
    result = job["result"]
    assert job["status"] == "succeeded" and job["steps"] == result["steps"]

    # Every entity drawn where the result puts it, with its type as a label.
    marks = d.find_elements(By.CSS_SELECTOR, "#body mark.ent")
    drawn = []
    for m in marks:
        label = m.find_element(By.CSS_SELECTOR, ".ent-label").text
        assert label == m.get_attribute("data-type") in TYPES
        drawn.append((m.get_attribute("data-type"), m.text[: -len(label)].strip()))
    expected = [(e["type"], e["text"]) for e in sorted(result["entities"], key=lambda e: e["start"])]
    assert drawn == expected
    assert {"PER", "LOC"} <= {t for t, _ in drawn} and ("PER", "كيم جونغ أون") in drawn
    # The body is the document text, unchanged, right to left.
    body = d.find_element(By.ID, "body")
    text = d.execute_script("const c = arguments[0].cloneNode(true);"
                            "c.querySelectorAll('.ent-label').forEach((n) => n.remove());"
                            "return c.textContent;", body)
    assert text == result["document"]["text"]
    assert body.value_of_css_property("direction") == "rtl"

    # A word's clitic segments on hover.
    word = next(t for t in result["tokens"] if len(t.get("segments") or []) > 2)
    span = d.find_element(By.CSS_SELECTOR, f'#body .tok[data-seg="{"+".join(word["segments"])}"]')
    ActionChains(d).move_to_element(span).perform()
    _wait(d, lambda d: "+".join(word["segments"]) in d.find_element(By.ID, "segment-info").text,
          10, "the segments shown on hover")

    # Entity groups with their variants; the removed boilerplate with its kind; the fields.
    rows = d.find_elements(By.CSS_SELECTOR, "#groups tbody tr[data-entity]")
    assert len(rows) == len(result["entity_groups"])
    kim = next(g for g in result["entity_groups"] if g["canonical"] == "كيم جونغ أون")
    row = d.find_element(By.CSS_SELECTOR, f'#groups tr[data-entity="{kim["id"]}"]')
    assert all(v in row.text for v in kim["variants"])
    row.click()
    selected = d.find_elements(By.CSS_SELECTOR, "#body mark.selected")
    assert len(selected) == kim["mentions"]
    blocks = d.find_elements(By.CSS_SELECTOR, "#boilerplate li.block")
    assert [b.get_attribute("data-kind") for b in blocks] == \
        [b["kind"] for b in result["boilerplate"]["blocks"]]
    read_also = next(b for b in blocks if b.get_attribute("data-kind") == "read_also")
    assert "اقرأ أيضاً" in read_also.text and "read also" in read_also.text
    doc = result["document"]
    field = lambda name: d.find_element(By.CSS_SELECTOR, f'#fields dd[data-field="{name}"]').text
    assert field("title") == doc["title"] and field("source") == doc["source"]
    assert all(t in field("tags") for t in doc["tags"])

    assert not _csp_errors(d)
    shot = Path(os.environ.get("DEMO_SCREENSHOT") or tmp_path / "demo.png")
    d.execute_script("window.scrollTo(0, 0); document.querySelectorAll('.selected').forEach((n) => n.classList.remove('selected'));"
                     "document.getElementById('input-panel').hidden = true;")
    shot = shot if shot.is_absolute() else ROOT / shot
    assert d.save_screenshot(str(shot))
    # The lower half: entity groups and the removed boilerplate.
    d.execute_script("document.getElementById('groups-panel').scrollIntoView()")
    assert d.save_screenshot(str(shot.with_name(shot.stem + "-lower.png")))


@pytest.fixture()
def keyed_server(service_env, service_tmp, celery_worker):
    """Another gunicorn on the same Redis and worker, with API keys on; yields (url, key)."""
    import requests

    from service.auth import new_key
    key, line = new_key("demo")
    port = free_port()
    log = service_tmp / "gunicorn-keyed.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
             "--worker-class", "gthread", "--threads", "4", "service.wsgi:app"],
            cwd=ROOT, env={**service_env, "API_KEYS": line}, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: requests.get(base + "/healthz", timeout=1).status_code == 200,
                  60, "gunicorn with keys", proc, log)
        yield base, key
    finally:
        stop_process(proc, grace=10)


@pytest.mark.slow
def test_with_keys_on_the_page_asks_for_a_key_and_sends_it(browser, keyed_server):
    from selenium.webdriver.common.by import By
    base, key = keyed_server
    d = browser
    d.get(base + "/demo")
    _wait(d, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "yes",
          30, "the script loading")
    d.find_element(By.ID, "article").send_keys("زار الرئيس الفرنسي إيمانويل ماكرون القاهرة يوم الأحد.")
    d.find_element(By.ID, "submit").click()
    _wait(d, lambda d: "API key" in d.find_element(By.ID, "job-error").text, 30, "the key error")
    d.find_element(By.ID, "api-key").send_keys(key)
    d.find_element(By.ID, "submit").click()
    _wait(d, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-drawn") == "yes",
          120, "the result being drawn")
    assert d.find_element(By.ID, "job-error").text == ""
    assert d.find_elements(By.CSS_SELECTOR, "#body mark.ent")
    assert not [m for m in _csp_errors(d) if "401" not in m]  # the refused try is logged as 401


@pytest.mark.slow
def test_an_uploaded_html_page_is_sent_as_html(browser, live_server, check):
    import requests
    from selenium.webdriver.common.by import By
    page = sorted((SEEDS_DIR / "html").glob("*.html"))[0]
    d = browser
    d.get(live_server + "/demo")
    _wait(d, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-ready") == "yes",
          30, "the script loading")
    d.find_element(By.ID, "file").send_keys(str(page))
    d.find_element(By.ID, "submit").click()
    _wait(d, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-drawn") == "yes",
          120, "the result being drawn")
    job = check(requests.get(f"{live_server}/v1/jobs/{d.find_element(By.ID, 'job-id').text}", timeout=10))
    assert job["result"]["input"]["format"] == "html"
    title = d.find_element(By.CSS_SELECTOR, '#fields dd[data-field="title"]').text
    assert title == job["result"]["document"]["title"]
    assert len(d.find_elements(By.CSS_SELECTOR, "#body mark.ent")) == len(job["result"]["entities"])
    assert not _csp_errors(d)
