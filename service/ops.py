"""Operations endpoints: liveness, readiness, Prometheus metrics, the spec and its docs page."""
from __future__ import annotations

import functools
import sys
from pathlib import Path

from flask import Blueprint, Response, current_app, send_from_directory
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from service.problems import ApiProblem, problem_response
from service.schemas import health_schema
from jobs import routing
from jobs.store import STEP_BUCKETS, redis_client
from nlp import STEPS

bp = Blueprint("ops", __name__)

# In a checkout, at its top; installed (pip install .), under <prefix>/share (pyproject.toml).
SPEC_PATH = next((p for p in (Path(__file__).resolve().parent.parent / "openapi.yaml",
                              Path(sys.prefix) / "share" / "arabic-news-enrichment" / "openapi.yaml")
                  if p.is_file()), Path(__file__).resolve().parent.parent / "openapi.yaml")

_DOCS_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Arabic news enrichment API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
"""
# Kept out of the page so a strict Content-Security-Policy (no inline script) still works.
# validatorUrl null: Swagger UI would otherwise send the spec to an online validator.
_DOCS_INIT = ('window.onload = function () {\n'
              '  window.ui = SwaggerUIBundle({url: "/openapi.yaml", dom_id: "#swagger-ui", validatorUrl: null});\n'
              '};\n')
_DOCS_ASSETS = ("swagger-ui.css", "swagger-ui-bundle.js", "favicon-32x32.png", "favicon-16x16.png")


def _swagger_ui_dir() -> Path:
    # swagger-ui-bundle-v2 ships Swagger UI 5 (OpenAPI 3.1) as files: served from here, no CDN.
    from swagger_ui_bundle import swagger_ui_path
    return Path(str(swagger_ui_path))


@bp.get("/healthz", provide_automatic_options=False)
def healthz():
    return health_schema.dump({"status": "ok"})


@bp.get("/readyz", provide_automatic_options=False)
def readyz():
    settings = current_app.extensions["settings"]
    checks = {}
    try:
        current_app.extensions["job_store"].ping()
        checks["redis"] = "ok"
    except Exception:
        checks["redis"] = "unreachable"
    if checks["redis"] == "ok":
        try:
            answered = current_app.extensions["publisher"].ping_workers(settings.readyz_timeout)
            checks["workers"] = "ok" if answered else "no worker answered"
        except Exception:
            checks["workers"] = "unreachable"
    else:
        checks["workers"] = "unknown"
    if all(v == "ok" for v in checks.values()):
        return health_schema.dump({"status": "ready", "checks": checks})
    return problem_response(503, "not-ready", "a dependency is not ready", checks=checks,
                            headers={"Retry-After": max(settings.retry_after_seconds, 1)})


class StoreCollector:
    """Job counters, step-duration histograms, engines in use and queue depth, read from
    Redis at scrape time (workers write them there; see jobs/store.py)."""

    def __init__(self, store, queues, broker=None):
        self.store = store
        self.queues = queues
        self.broker = broker if broker is not None else store.r  # where the queues live

    def collect(self):
        counters = self.store.counters()
        yield CounterMetricFamily("enrich_jobs_created", "Jobs accepted.",
                                  value=counters.get("created", 0))
        finished = CounterMetricFamily("enrich_jobs_finished", "Jobs finished, by status.",
                                       labels=["status"])
        for status in ("succeeded", "failed"):
            finished.add_metric([status], counters.get(status, 0))
        yield finished
        yield CounterMetricFamily("enrich_jobs_deleted", "Jobs deleted by clients.",
                                  value=counters.get("deleted", 0))
        hist = HistogramMetricFamily("enrich_step_duration_seconds",
                                     "Time spent in each pipeline step.", labels=["step"])
        for step, h in self.store.step_histograms(list(STEPS)).items():
            buckets = [(str(le), h.get(f"le:{le}", 0.0)) for le in STEP_BUCKETS]
            buckets.append(("+Inf", h.get("le:+Inf", 0.0)))
            hist.add_metric([step], buckets, sum_value=h.get("sum", 0.0))
        yield hist
        engines = CounterMetricFamily("enrich_engine_jobs",
                                      "Succeeded jobs by the engine behind each layer.",
                                      labels=["layer", "engine", "version"])
        for (layer, name, version), n in sorted(self.store.engine_counts().items()):
            engines.add_metric([layer, name, version], n)
        yield engines
        depth = GaugeMetricFamily("enrich_queue_depth", "Messages waiting in a broker queue.",
                                  labels=["queue"])
        for queue in self.queues:
            depth.add_metric([queue], self.broker.llen(queue))
        yield depth


@bp.get("/metrics", provide_automatic_options=False)
def metrics():
    registry = current_app.extensions.get("metrics_registry")
    if registry is None:
        settings = current_app.extensions["settings"]
        queues = routing.queues(settings, STEPS)
        registry = CollectorRegistry()
        store = current_app.extensions["job_store"]
        broker = redis_client(settings.broker) if settings.broker != settings.redis_url else None
        registry.register(StoreCollector(store, queues, broker))
        current_app.extensions["metrics_registry"] = registry
    return Response(generate_latest(registry), mimetype=None,
                    headers={"Content-Type": CONTENT_TYPE_LATEST})


@bp.get("/openapi.yaml", provide_automatic_options=False)
def openapi_spec():
    # text/plain: a browser shows it instead of downloading it (no browser renders
    # application/yaml inline); tools read YAML whatever the label.
    return Response(_spec_bytes(), content_type="text/plain; charset=utf-8",
                    headers={"Content-Disposition": 'inline; filename="openapi.yaml"'})


@functools.lru_cache(maxsize=1)
def _spec_bytes() -> bytes:
    return SPEC_PATH.read_bytes()  # read once per process, not per request


@bp.get("/docs", provide_automatic_options=False)
def docs_page():
    return Response(_DOCS_HTML, mimetype="text/html")


@bp.get("/docs/<asset>", provide_automatic_options=False)
def docs_asset(asset: str):
    if asset == "init.js":
        return Response(_DOCS_INIT, mimetype="text/javascript")
    if asset not in _DOCS_ASSETS:
        raise ApiProblem(404, "not-found", "no such file")
    return send_from_directory(_swagger_ui_dir(), asset, max_age=86400)
