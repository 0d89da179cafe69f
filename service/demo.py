"""The demo page: a person pastes or uploads an article and sees its enrichment drawn.

Built from the same job and result JSON any client gets (the page calls ``/v1/jobs`` from
the browser, with the API key the person types when keys are on). Plain HTML, CSS and
JavaScript served from here: no CDN, no inline script, so it runs under the page's
Content-Security-Policy (service/headers.py).
"""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory

from service.problems import ApiProblem

bp = Blueprint("demo", __name__)

STATIC = Path(__file__).resolve().parent / "static" / "demo"
_ASSETS = ("demo.js", "demo.css")


@bp.get("/demo", provide_automatic_options=False)
def demo_page():
    return Response((STATIC / "index.html").read_bytes(), mimetype="text/html")


@bp.get("/demo/<asset>", provide_automatic_options=False)
def demo_asset(asset: str):
    if asset not in _ASSETS:
        raise ApiProblem(404, "not-found", "no such file")
    return send_from_directory(STATIC, asset, max_age=300)
